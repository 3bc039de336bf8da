"""OpenAPI: every operation documents the error responses it can give, with the one error body that
``quota_portal.errors.api_exception_handler`` produces. Applied by the schema class to every operation of
every app, so a new endpoint gets it without any work.

Which statuses an operation documents (a view can add or remove some with ``schema_extra_error_statuses`` /
``schema_no_error_statuses``):

- 400 bad input: every operation (body, query parameters, filters).
- 401 not authenticated: operations with authentication classes.
- 403 role not allowed, two-factor verification missing, account locked: operations with permission classes.
- 404 out of scope or unknown (scoping answers 404 — an object, a referenced object, or a whole resource a
  role may not see): every operation with permission classes or a path parameter; a page past the end.
- 409 the object's state forbids it (invalid transition, quota exceeded, deadline passed, idempotency
  conflict): writes (POST, PUT, PATCH, DELETE).
- 429 throttled: operations one of whose throttles applies to the method (the per-user write throttle only
  to writes; the token endpoint's to its POST).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from .quantities import YEAR_MAX, YEAR_MIN
from .throttling import WriteRateThrottle


class ErrorOutput(serializers.Serializer):
    """The one error body of the API."""

    detail = serializers.CharField(help_text="A message for people, in the request's language.")
    code = serializers.CharField(
        help_text="A stable machine-readable code: invalid, not_authenticated, authentication_failed, "
                  "permission_denied, not_permitted, otp_required, not_found, conflict, invalid_transition, "
                  "quota_exceeded, deadline_passed, throttled, …")

    class Meta:
        ref_name = "Error"

    def get_fields(self):
        # "errors" is also the name of Serializer.errors: add the field here rather than as a class attribute.
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False,
            help_text='Messages keyed by field path, e.g. {"shipments[2].tonnes": ["…"]} (400 only).')
        return fields


ERROR_DESCRIPTIONS = {
    "400": "Bad input: `errors` holds the messages keyed by field path. Nothing was written.",
    "401": "Not authenticated: send `Authorization: Token <key>` (from POST /api/v1/auth/token/).",
    "403": "Your role may not do this, two-factor verification is missing (`otp_required`), "
           "or the account is locked after failed logins.",
    "404": "Not found, or outside your organisation's scope (the API does not tell them apart).",
    "409": "The object's current state does not allow this (e.g. `invalid_transition`, `quota_exceeded`, "
           "`deadline_passed`), or the Idempotency-Key was used with another request.",
    "429": "Too many requests: wait for the seconds in the `Retry-After` header, then retry.",
}


class PortalAutoSchema(AutoSchema):
    def error_statuses(self) -> set[str]:
        view, method = self.view, self.method.upper()
        codes = {"400"}
        if getattr(view, "authentication_classes", None):
            codes.add("401")
        if getattr(view, "permission_classes", None):
            codes.add("403")
        writes = method not in SAFE_METHODS
        if "{" in self.path or "403" in codes:
            codes.add("404")
        if writes:
            codes.add("409")
        for throttle in view.get_throttles() if hasattr(view, "get_throttles") else []:
            if not isinstance(throttle, WriteRateThrottle) or writes:
                codes.add("429")
        codes |= {str(c) for c in getattr(view, "schema_extra_error_statuses", ())}
        codes -= {str(c) for c in getattr(view, "schema_no_error_statuses", ())}
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code in sorted(self.error_statuses()):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorOutput, description=ERROR_DESCRIPTIONS[code]), code, direction=direction)
        return responses


# Real constraints of query parameters, by name, wherever they appear (the summaries refuse years outside
# 2000–2100 and months outside 1–12; a page number starts at 1).
QUERY_PARAMETER_CONSTRAINTS = {
    "year": {"minimum": YEAR_MIN, "maximum": YEAR_MAX},
    "month": {"minimum": 1, "maximum": 12},
    "page": {"minimum": 1},
}


def constrain_query_parameters(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the constraints above to the query parameters."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                extra = QUERY_PARAMETER_CONSTRAINTS.get(parameter.get("name"))
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and extra and schema.get("type") == "integer":
                    schema.update(extra)
    return result
