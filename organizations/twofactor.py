"""TOTP two-factor authentication (django-otp) for the roles that decide (``TWO_FACTOR_ROLES``).

Ministry officials and approvers, and county reviewers (who open cases, decide and approve penalties), must
confirm a TOTP device on first login and enter a code at each login; until they do, pages redirect to the
two-factor page and the API answers 403. API tokens for those roles are issued only with a valid ``otp_token``.
"""

from __future__ import annotations

import base64
import io

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from .models import TWO_FACTOR_ROLES
from .selectors import membership_of

EXEMPT_PREFIXES = ("/account/2fa/", "/logout/", "/login/", "/static/", "/i18n/", "/jsi18n/", "/public/")


def two_factor_required(user) -> bool:
    if not getattr(settings, "OTP_REQUIRED", True) or user is None or not user.is_authenticated:
        return False
    m = membership_of(user)
    return bool(m and m.role in TWO_FACTOR_ROLES)


def token_is_valid_for(user, token: str | None) -> bool:
    return bool(token) and match_token(user, str(token).strip()) is not None


class RequireTwoFactorMiddleware:
    """After django_otp's OTPMiddleware: unverified sessions of those roles may only reach the 2FA page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and two_factor_required(user)
            and not user.is_verified()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Two-factor verification is required for your role."), "code": "otp_required"},
                    status=403,
                )
            return redirect(f"{reverse('two-factor')}?next={request.get_full_path()}")
        return self.get_response(request)


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=gettext_lazy("Six-digit code from your authenticator app"), max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _qr_data_uri(url: str) -> str:
    buf = io.BytesIO()
    write_qrcode_image(url, buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


@login_required
def two_factor_view(request):
    """Set up (first time: QR code + confirmation) or verify (each login) the user's TOTP device."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = reverse("home")
    confirmed = list(devices_for_user(user, confirmed=True))
    setup = not confirmed
    device = None
    if setup:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"].strip()
        if setup:
            if device.verify_token(token):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                return redirect(next_url)
        else:
            matched = match_token(user, token)
            if matched is not None:
                otp_login(request, matched)
                return redirect(next_url)
        form.add_error("otp_token", _("That code is not valid. Check your device's clock and try the current code."))
    context = {"form": form, "setup": setup, "next": next_url}
    if setup:
        context.update(qr=_qr_data_uri(device.config_url), secret=base64.b32encode(device.bin_key).decode())
    return render(request, "registration/two_factor.html", context)
