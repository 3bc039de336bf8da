"""HTTP API for monthly reports (enterprise systems integrate against it) and the roll-up summaries."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from organizations.models import Authority, Enterprise
from organizations.permissions import HasMembership
from organizations.selectors import authority_list, enterprise_get, membership_of
from quota_portal.errors import DomainValidationError, NotFound
from quota_portal.quantities import TONNES_FORM, YEAR_MAX, YEAR_MIN

from . import access, excel, ledger_api, selectors, services
from .models import Attachment, FlowLine, MonthlyReport, ReportStatus

IDEMPOTENCY = OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                               description="A retried request with the same key returns the first response.")


PREFER = OpenApiParameter(
    "Prefer", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, enum=["return=minimal", "return=representation"],
    description="`return=minimal` answers with the report's id, status, version, due_at, late and warnings only "
                "(not the lines echoed back) and sets `Preference-Applied: return=minimal`.")
PREFERENCE_APPLIED = OpenApiParameter(
    "Preference-Applied", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
    description="`return=minimal` when the answer is the minimal one.")
MINIMAL_FIELDS = ("id", "status", "version", "due_at", "late", "warnings")


def wants_minimal(request) -> bool:
    """RFC 7240 ``Prefer: return=minimal`` (among other preferences, case-insensitive)."""
    prefs = (p.strip().lower().replace(" ", "") for p in request.headers.get("Prefer", "").split(","))
    return any(p.split(";")[0] == "return=minimal" for p in prefs)


def minimal_body(report) -> dict:
    return {"id": report.pk, "status": report.status, "version": report.version,
            "due_at": serializers.DateTimeField().to_representation(report.due_at), "late": report.late,
            "warnings": report.warnings or []}


MINIMAL_SCHEMA = {
    "type": "object", "required": list(MINIMAL_FIELDS),
    "properties": {"id": {"type": "integer"}, "status": {"$ref": "#/components/schemas/ReportStatusEnum"},
                   "version": {"type": "integer"}, "due_at": {"type": "string", "format": "date-time"},
                   "late": {"type": "boolean"}, "warnings": {}},
}


def _report_or_minimal(description: str) -> OpenApiResponse:
    return OpenApiResponse(response={"anyOf": [{"$ref": "#/components/schemas/ReportOutput"}, MINIMAL_SCHEMA]},
                           description=description)


def extend_schema_field_list(serializer_class):
    return extend_schema_field(serializer_class(many=True))


class ProductionLineIO(serializers.Serializer):
    indicator_type = serializers.CharField()
    product = serializers.CharField()
    tonnes = serializers.DecimalField(**TONNES_FORM)


class InputLineIO(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]  # the payload's field, not Field.source
    country = serializers.CharField(allow_blank=True, required=False)
    product = serializers.CharField()
    tonnes = serializers.DecimalField(**TONNES_FORM)


class AttachmentOutput(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "kind", "filename", "content_type", "size", "sha256", "flow_line", "uploaded_at"]


class FlowLineIO(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    direction = serializers.CharField()
    counterparty_enterprise = serializers.IntegerField(source="counterparty_enterprise_id", read_only=True,
                                                       allow_null=True)
    counterparty_credit_code = serializers.CharField(allow_blank=True, required=False)
    counterparty_name = serializers.CharField(allow_blank=True, required=False)
    counterparty_country = serializers.CharField(allow_blank=True, required=False)
    product = serializers.CharField(source="product_id")
    tonnes = serializers.DecimalField(**TONNES_FORM)
    date = serializers.DateField()
    document_no = serializers.CharField()
    shipment_no = serializers.CharField(source="shipment.number", read_only=True, allow_null=True, default=None)
    attachments = AttachmentOutput(many=True, read_only=True)


class InventoryLineIO(serializers.Serializer):
    product = serializers.CharField()
    opening = serializers.DecimalField(**TONNES_FORM)
    closing = serializers.DecimalField(**TONNES_FORM)


class ReportOutput(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    production = serializers.SerializerMethodField()
    inputs = serializers.SerializerMethodField()
    shipments = serializers.SerializerMethodField()
    inventory = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = ["id", "enterprise", "enterprise_name", "year", "month", "version", "previous_version", "is_current",
                  "status", "nil", "comment", "due_at", "submitted_at", "late", "attested_name", "attested_at", "responsible_person",
                  "warnings", "warnings_explanation",
                  "balance_explained", "changes_count", "reviewed_at", "review_comment", "production", "inputs",
                  "shipments", "inventory", "attachments"]

    @extend_schema_field_list(ProductionLineIO)
    def get_production(self, obj):
        return [{"indicator_type": x.indicator_type, "product": x.product_id, "tonnes": f"{x.tonnes:.3f}"}
                for x in obj.production_lines.all()]

    @extend_schema_field_list(InputLineIO)
    def get_inputs(self, obj):
        return [{"source": x.source, "country": x.country, "product": x.product_id, "tonnes": f"{x.tonnes:.3f}"}
                for x in obj.input_lines.all()]

    @extend_schema_field_list(FlowLineIO)
    def get_shipments(self, obj):
        return FlowLineIO(obj.flow_lines.all(), many=True).data

    @extend_schema_field_list(InventoryLineIO)
    def get_inventory(self, obj):
        return [{"product": x.product_id, "opening": f"{x.opening:.3f}", "closing": f"{x.closing:.3f}"}
                for x in obj.inventory_lines.all()]

    @extend_schema_field_list(AttachmentOutput)
    def get_attachments(self, obj):
        return AttachmentOutput([a for a in obj.attachments.all() if a.flow_line_id is None], many=True).data


class ReportListOutput(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    county = serializers.CharField(source="enterprise.county.name", read_only=True)
    warnings_count = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = ["id", "enterprise", "enterprise_name", "county", "year", "month", "version", "status", "nil",
                  "due_at", "submitted_at", "late", "changes_count", "warnings_count"]

    def get_warnings_count(self, obj) -> int:
        return len(obj.warnings or [])


class ReportInput(serializers.Serializer):
    """Lines are checked by the service so that every error names its field path (``shipments[2].tonnes``)."""

    enterprise = serializers.IntegerField(required=False)
    year = serializers.IntegerField(required=False, min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    nil = serializers.BooleanField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True)
    production = serializers.ListField(child=serializers.JSONField(), required=False)
    inputs = serializers.ListField(child=serializers.JSONField(), required=False)
    shipments = serializers.ListField(child=serializers.JSONField(), required=False)
    inventory = serializers.ListField(child=serializers.JSONField(), required=False)
    submit = serializers.BooleanField(required=False, default=False,
                                      help_text="File and submit in one request (the checks of `submit/` apply; "
                                                "if they refuse, nothing is written).")
    confirm_warnings = serializers.BooleanField(required=False, default=False,
                                                help_text="With `submit`: as for `submit/`.")
    warnings_explanation = serializers.CharField(required=False, allow_blank=True, default="",
                                                 help_text="With `submit`: as for `submit/`.")
    attest = serializers.BooleanField(required=False, default=False,
                                      help_text="With `submit`: required true, as for `submit/` (如实记录).")
    responsible_person = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                               help_text="With `submit`: as for `submit/`.")


class SubmitInput(serializers.Serializer):
    confirm_warnings = serializers.BooleanField(required=False, default=False)
    warnings_explanation = serializers.CharField(required=False, allow_blank=True, default="")
    attest = serializers.BooleanField(required=False, default=False, help_text=_(
        "Required true: the filer confirms that the figures are true and complete (如实记录)."))
    responsible_person = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class FileNilInput(serializers.Serializer):
    attest = serializers.BooleanField(required=False, default=False)


class ReviewInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.CharField(required=False, default="other")
    flow_line = serializers.IntegerField(required=False)


class ReportFilter(django_filters.FilterSet):
    current = django_filters.BooleanFilter(field_name="is_current")

    class Meta:
        model = MonthlyReport
        fields = ["year", "month", "enterprise", "status", "late", "nil", "version"]


def _full(report):
    return selectors.report_with_lines(MonthlyReport.objects.select_related("enterprise__county").get(pk=report.pk))


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly reports. Create/update while draft; ``submit/``, ``accept/``, ``return/``, ``amend/``.
    ``Idempotency-Key`` is honoured on create and submit."""

    permission_classes = [HasMembership]
    filterset_class = ReportFilter
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    ordering_fields = ["year", "month", "submitted_at"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = selectors.report_list(user=self.request.user, current_only=False)
        if self.action == "retrieve":
            flows = Prefetch("flow_lines", queryset=FlowLine.objects.select_related("shipment")
                             .prefetch_related("attachments"))
            return qs.prefetch_related("production_lines", "input_lines", flows, "inventory_lines", "attachments")
        return qs

    def get_serializer_class(self):
        return ReportListOutput if self.action == "list" else ReportOutput

    def retrieve(self, request, pk=None):
        report = self.get_object()
        access.report_access_record(actor=request.user, report=report, action="read", via="api")
        return Response(ReportOutput(report).data)

    def _out(self, report, code=status.HTTP_200_OK, *, minimal=False, **extra):
        if minimal:
            return code, {**minimal_body(report), **extra}, report
        data = ReportOutput(_full(report)).data
        data.update(extra)
        return code, dict(data), report

    def _respond(self, body, code=status.HTTP_200_OK) -> Response:
        resp = Response(body, status=code)
        if wants_minimal(self.request) and set(body) <= set(MINIMAL_FIELDS):  # a replay answers as first stored
            resp["Preference-Applied"] = "return=minimal"
        return resp

    @extend_schema(request=ReportInput, parameters=[IDEMPOTENCY, PREFER, PREFERENCE_APPLIED], responses={201: _report_or_minimal(
        "The report filed (a draft, or submitted with `submit: true`); with `Prefer: return=minimal` only "
        "id, status, version, due_at, late and warnings.")})
    def create(self, request):
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        payload = dict(data.validated_data)
        submit = payload.pop("submit")
        submit_args = {"confirm_warnings": payload.pop("confirm_warnings"),
                       "warnings_explanation": payload.pop("warnings_explanation"),
                       "attest": payload.pop("attest"), "responsible_person": payload.pop("responsible_person")}
        m = membership_of(request.user)
        ent_id = payload.pop("enterprise", None) or (m.enterprise_id if m else None)
        errors = {f: [str(_("This field is required."))] for f in ("year", "month") if f not in payload}
        if ent_id is None:
            errors["enterprise"] = [str(_("This field is required."))]
        if errors:
            raise DomainValidationError(errors=errors)
        try:
            enterprise = enterprise_get(user=request.user, pk=ent_id)
        except Enterprise.DoesNotExist:
            raise DomainValidationError(errors={"enterprise": [str(_("Unknown enterprise."))]})
        year, month = payload.pop("year"), payload.pop("month")

        def call():
            if submit:
                report = services.report_file_and_submit(actor=request.user, enterprise=enterprise, year=year,
                                                         month=month, data=payload, **submit_args)
            else:
                report = services.report_create(actor=request.user, enterprise=enterprise, year=year, month=month,
                                                data=payload)
            return self._out(report, status.HTTP_201_CREATED, minimal=wants_minimal(request))

        scope = f"reports.create{'+submit' if submit else ''}:{enterprise.pk}:{year}-{month}"
        code, body = services.idempotent_call(user=request.user, key=request.headers.get("Idempotency-Key"),
                                              scope=scope, call=call)
        return self._respond(body, code)

    @extend_schema(request=ReportInput, responses={200: ReportOutput})
    def update(self, request, pk=None):
        data = ReportInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        payload = {k: v for k, v in data.validated_data.items() if k not in ("enterprise", "year", "month")}
        report = services.report_update(actor=request.user, report=self.get_object(), data=payload)
        return Response(self._out(report)[1])

    partial_update = update

    @extend_schema(request=SubmitInput, parameters=[IDEMPOTENCY, PREFER, PREFERENCE_APPLIED], responses={200: _report_or_minimal(
        "The submitted report; with `Prefer: return=minimal` only id, status, version, due_at, late and warnings.")})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)

        def call():
            r = services.report_submit(actor=request.user, report=report, **data.validated_data)
            return self._out(r, minimal=wants_minimal(request))

        code, body = services.idempotent_call(user=request.user, key=request.headers.get("Idempotency-Key"),
                                              scope=f"reports.submit:{report.pk}", call=call)
        return self._respond(body, code)

    @extend_schema(request=FileNilInput, responses={200: ReportOutput})
    @action(detail=True, methods=["post"], url_path="file-nil")
    def file_nil(self, request, pk=None):
        """Turn this draft into a nil report and submit it (one click; ``attest`` must be true)."""
        report = self.get_object()
        data = FileNilInput(data=request.data)
        data.is_valid(raise_exception=True)
        r = services.report_file_nil(actor=request.user, enterprise=report.enterprise, year=report.year,
                                     month=report.month, attest=data.validated_data["attest"])
        return Response(self._out(r)[1])

    @extend_schema(request=ReviewInput, responses={200: ReportOutput})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        r = services.report_accept(actor=request.user, report=self.get_object(), comment=data.validated_data["comment"])
        return Response(self._out(r)[1])

    @extend_schema(request=ReviewInput, responses={200: ReportOutput})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        r = services.report_return(actor=request.user, report=self.get_object(), comment=data.validated_data["comment"])
        return Response(self._out(r)[1])

    @extend_schema(request=None, responses={201: ReportOutput})
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        r = services.report_amend(actor=request.user, report=self.get_object())
        reopened = [c.authority.name for c in getattr(r, "reopened", [])]
        return Response(self._out(r, certification_reopened=reopened)[1], status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: inline_serializer("ReportDiff", {
        "previous_version": serializers.IntegerField(allow_null=True),
        "changes": serializers.ListField(child=serializers.DictField())})})
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        report = self.get_object()
        prev = report.previous_version
        changes = selectors.report_diff(prev, report)
        return Response({"previous_version": prev.pk if prev else None,
                         "changes": serializers.JSONField().to_representation(
                             [{k: (str(v) if v is not None and not isinstance(v, (dict, bool)) else v)
                               for k, v in c.items()} for c in changes])})

    @extend_schema(request={"multipart/form-data": AttachmentInput}, responses={201: AttachmentOutput})
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        report = self.get_object()
        data = AttachmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        flow_line = None
        if data.validated_data.get("flow_line"):
            flow_line = FlowLine.objects.filter(pk=data.validated_data["flow_line"], report=report).first()
            if flow_line is None:
                raise DomainValidationError(errors={"flow_line": [str(_("This flow record belongs to another report."))]})
        f = data.validated_data["file"]
        att = services.attachment_add(actor=request.user, report=report, filename=f.name, content=f.read(),
                                      kind=data.validated_data["kind"], flow_line=flow_line)
        return Response(AttachmentOutput(att).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={(200, excel.XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        report = self.get_object()
        access.report_access_record(actor=request.user, report=report, action="export", via="api")
        return _xlsx_response(excel.report_export(report), f"report-{report.enterprise.credit_code}-"
                                                           f"{report.period}-v{report.version}.xlsx")

    @extend_schema(request={"multipart/form-data": inline_serializer("ReportUpload", {"file": serializers.FileField()})},
                   responses={200: ReportOutput})
    @action(detail=True, methods=["post"])
    def upload(self, request, pk=None):
        """Replace the draft's lines with a filled-in template; errors are listed per sheet and row."""
        report = self.get_object()
        f = request.FILES.get("file")
        if f is None:
            raise DomainValidationError(errors={"file": [str(_("Choose the filled-in template (.xlsx)."))]})
        r = services.report_import(actor=request.user, report=report, content=f.read())
        return Response(self._out(r)[1])


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


class SummaryRowOutput(serializers.Serializer):
    authority_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    expected = serializers.IntegerField()
    submitted = serializers.IntegerField()
    accepted = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    certified = serializers.BooleanField()
    totals = serializers.DictField(child=serializers.DecimalField(max_digits=16, decimal_places=3))


@extend_schema_serializer(many=False)  # one object with count and results, not a list
class SummaryListOutput(serializers.Serializer):
    count = serializers.IntegerField()
    results = SummaryRowOutput(many=True)


class SummaryQuery(serializers.Serializer):
    """The query of the roll-ups: ``year`` and ``month`` (required), ``level`` (one of the levels the user may
    read, given as ``context["levels"]``; default the first), ``export`` (csv, xlsx; anything else: JSON)."""

    year = serializers.CharField(required=False, allow_blank=True)
    month = serializers.CharField(required=False, allow_blank=True)
    level = serializers.CharField(required=False, allow_blank=True)
    export = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        try:
            year, month = int(attrs["year"]), int(attrs["month"])
        except (KeyError, ValueError):
            raise serializers.ValidationError({"month": [str(_("Give year and month."))]})
        if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
            raise serializers.ValidationError(
                {"month": [str(_("Give a year between 2000 and 2100 and a month 1–12."))]})
        levels = self.context["levels"]
        level = attrs.get("level") or levels[0]
        if level not in levels:
            raise serializers.ValidationError(
                {"level": [str(_("Choose one of: %(levels)s.") % {"levels": ", ".join(levels)})]})
        return {"year": year, "month": month, "level": level, "export": attrs.get("export", "")}


class SummaryViewSet(viewsets.ViewSet):
    """Roll-ups from accepted reports only: ``?year=&month=&level=county|city|province|ministry``."""

    permission_classes = [HasMembership]

    @extend_schema(parameters=[OpenApiParameter("year", int, required=True), OpenApiParameter("month", int, required=True),
                               OpenApiParameter("level", str, enum=["ministry", "province", "city", "county"]),
                               OpenApiParameter("export", str, enum=["csv", "xlsx"])],
                   responses={(200, "application/json"): SummaryListOutput,
                              (200, "text/csv"): OpenApiTypes.BINARY,
                              (200, excel.XLSX): OpenApiTypes.BINARY})
    def list(self, request):
        if not request.user.has_perm("reporting.view_summaries"):
            raise NotFound()
        q = SummaryQuery(data=request.query_params, context={"levels": selectors.summary_levels_for(request.user)})
        q.is_valid(raise_exception=True)
        year, month, level = q.validated_data["year"], q.validated_data["month"], q.validated_data["level"]
        rows = selectors.summary_rows(user=request.user, year=year, month=month, level=level)
        fmt = q.validated_data["export"]
        if fmt == "csv":
            resp = HttpResponse(excel.summary_csv(rows), content_type="text/csv; charset=utf-8")
            resp["Content-Disposition"] = f'attachment; filename="summary-{level}-{year}-{month:02d}.csv"'
            return resp
        if fmt == "xlsx":
            return _xlsx_response(excel.summary_xlsx(rows, year, month, level), f"summary-{level}-{year}-{month:02d}.xlsx")
        return Response({"count": len(rows), "results": SummaryRowOutput(rows, many=True).data})


class CertificationOutput(serializers.Serializer):
    authority = serializers.IntegerField(source="authority_id")
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    certified = serializers.BooleanField()
    certified_at = serializers.DateTimeField()
    reopened_at = serializers.DateTimeField(allow_null=True)
    reopen_reason = serializers.CharField()


class CertificationInput(serializers.Serializer):
    authority = serializers.IntegerField()
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
    month = serializers.IntegerField(min_value=1, max_value=12)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CertificationViewSet(viewsets.ViewSet):
    """Period certification, county → city → province: ``certify/`` and ``reopen/`` (with ``reason``)."""

    permission_classes = [HasMembership]

    def _authority(self, pk) -> Authority:
        auth = authority_list(user=self.request.user).filter(pk=pk).first()
        if auth is None:
            raise DomainValidationError(errors={"authority": [str(_("Unknown authority."))]})
        return auth

    @extend_schema(request=CertificationInput, responses={201: CertificationOutput})
    @action(detail=False, methods=["post"])
    def certify(self, request):
        data = CertificationInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        cert = services.period_certify(actor=request.user, authority=self._authority(v["authority"]), year=v["year"],
                                       month=v["month"])
        return Response(CertificationOutput(cert).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CertificationInput, responses={200: CertificationOutput(many=True)})
    @action(detail=False, methods=["post"])
    def reopen(self, request):
        data = CertificationInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        certs = services.period_reopen(actor=request.user, authority=self._authority(v["authority"]), year=v["year"],
                                       month=v["month"], reason=v["reason"])
        return Response(CertificationOutput(certs, many=True).data)


def register(router) -> None:
    router.register("reports", ReportViewSet, basename="report")
    router.register("summaries", SummaryViewSet, basename="summary")
    router.register("certifications", CertificationViewSet, basename="certification")
    ledger_api.register(router)


__all__ = ["ReportStatus", "register"]
