"""The response django-axes gives a locked-out login: the page for people, the API's error body for clients."""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    status = settings.AXES_HTTP_RESPONSE_CODE
    cool_off = get_cool_off(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _("Too many failed login attempts: this account is locked for a while."),
                                 "code": "locked_out"}, status=status)
        if cool_off:
            response["Retry-After"] = str(int(cool_off.total_seconds()))
        return response
    context = {"failure_limit": get_failure_limit(request, credentials),
               "username": get_client_username(request, credentials) or "", "cooloff_timedelta": cool_off}
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
