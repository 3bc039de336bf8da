from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from organizations.selectors import is_authority, is_ministry


@login_required
def early_warning_view(request):
    if not (is_authority(request.user) or is_ministry(request.user)):
        raise Http404
    return render(request, "portal/early_warning.html", {"rows": []})
