"""Domain errors raised by services, mapped in one place to HTTP statuses and form errors.

A service raises e.g. ``QuotaExceeded(_("..."))``; the API answers 409 with ``{"detail": ..., "code": ...}``
and a page shows the message as a form error (see ``apply_to_form``). Field-level problems use
``DomainValidationError({"field.path": ["message"]})`` and answer 400 with the field paths.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message: Any = None, *, errors: dict[str, list[str]] | None = None, code: str | None = None):
        self.message = message if message is not None else self.default_message
        self.errors = errors or {}
        if code:
            self.code = code
        super().__init__(str(self.message))

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"detail": str(self.message), "code": self.code}
        if self.errors:
            data["errors"] = {k: [str(m) for m in v] for k, v in self.errors.items()}
        return data


class DomainValidationError(DomainError):
    """Bad input: 400 with field paths (``errors``)."""

    code = "invalid"
    default_message = _("Please correct the errors below.")


class NotPermitted(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "not_permitted"
    default_message = _("Your role does not allow this action.")


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = _("Not found.")


class Conflict(DomainError):
    """The request is well-formed but the current state forbids it (409)."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = _("The object is not in a state that allows this action.")


class InvalidTransition(Conflict):
    code = "invalid_transition"


class QuotaExceeded(Conflict):
    code = "quota_exceeded"


class DeadlinePassed(Conflict):
    code = "deadline_passed"


class NotEligible(DomainError):
    code = "not_eligible"


def _django_validation_to_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def api_exception_handler(exc, context):
    """DRF exception handler: domain errors → their status; Django ValidationError → 400."""
    if isinstance(exc, DomainError):
        return Response(exc.as_data(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = _django_validation_to_dict(exc)
        return Response(
            {"detail": str(_("Please correct the errors below.")), "code": "invalid", "errors": errors},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        # DRF's nested field → messages shape becomes flat field paths ("lines[1].tonnes") under "errors".
        response.data = {
            "detail": str(_("Please correct the errors below.")),
            "code": "invalid",
            "errors": flatten_errors(response.data),
        }
    elif isinstance(exc, exceptions.APIException):
        # One body for every error: {"detail", "code"} (401, 403, 404, 405, 406, 415, 429, …).
        codes = exc.get_codes()
        response.data = {
            "detail": str(response.data.get("detail", exc.detail) if isinstance(response.data, dict) else exc.detail),
            "code": codes if isinstance(codes, str) else exc.default_code,
        }
    return response


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"lines": [{}, {"tonnes": ["bad"]}]} → {"lines[1].tonnes": ["bad"]}; a bare list → non_field_errors."""
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, int):  # ListField / DictField children: {0: [...]}
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_errors(value, path))
    elif isinstance(data, list) and data and all(isinstance(v, (dict, list)) for v in data):
        for i, value in enumerate(data):
            out.update(flatten_errors(value, f"{prefix}[{i}]"))
    elif isinstance(data, list):
        if data:
            out[prefix or "non_field_errors"] = [str(m) for m in data]
    elif data not in (None, ""):
        out[prefix or "non_field_errors"] = [str(data)]
    return out


def apply_to_form(form, exc: DomainError) -> None:
    """Show a domain error on a Django form: field errors where the field exists, else non-field."""
    if exc.errors:
        for field, messages in exc.errors.items():
            name = field if field in form.fields else None
            for m in messages:
                form.add_error(name, m)
    else:
        form.add_error(None, str(exc.message))


__all__ = [
    "Conflict",
    "DeadlinePassed",
    "DomainError",
    "DomainValidationError",
    "Http404",
    "InvalidTransition",
    "NotEligible",
    "NotFound",
    "NotPermitted",
    "PermissionDenied",
    "QuotaExceeded",
    "apply_to_form",
]
