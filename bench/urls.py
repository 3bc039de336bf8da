"""The portal's urls plus ``/bench/baseline/``: a bare Django JSON view, the framework baseline of bench/http.py.

Mounted only through bench.settings (never in production)."""

from django.http import JsonResponse
from django.urls import include, path


def baseline(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bench/baseline/", baseline, name="bench-baseline"),
    path("", include("quota_portal.urls")),
]
