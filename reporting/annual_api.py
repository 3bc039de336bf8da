"""/api/v1/annual-reports/: the annual report (年度报告) for enterprise systems — create, update the draft,
``submit/`` (``"attest": true`` required), ``accept/``, ``return/``, ``amend/``. Thin: parse → service → serialize."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from organizations.permissions import HasMembership
from organizations.selectors import membership_of, scope_queryset
from quota_portal.errors import NotPermitted

from . import annual
from .models import AnnualReport


class AnnualReportOutput(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = AnnualReport
        fields = ["id", "enterprise", "enterprise_name", "year", "version", "previous_version", "is_current",
                  "status", "totals", "execution", "capacity_t", "explanation", "responsible_person", "comment",
                  "due_at", "submitted_at", "late", "attested_name", "attested_at", "reviewed_at", "review_comment"]


class AnnualInput(serializers.Serializer):
    year = serializers.IntegerField(required=False)
    capacity_t = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    explanation = serializers.CharField(required=False, allow_blank=True)
    responsible_person = serializers.CharField(required=False, allow_blank=True, max_length=100)
    comment = serializers.CharField(required=False, allow_blank=True)
    declared_production = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)


class AnnualAttestInput(serializers.Serializer):
    attest = serializers.BooleanField(required=False, default=False, help_text=(
        "Required true: the filer confirms that the figures are true and complete (如实记录)."))


class AnnualCommentInput(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AnnualReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AnnualReportOutput
    permission_classes = [HasMembership]

    def get_queryset(self):
        if self.action == "list":
            year = self.request.query_params.get("year", "")
            return annual.annual_list(user=self.request.user, year=int(year) if year.isdigit() else None)
        return scope_queryset(self.request.user, AnnualReport.objects.select_related("enterprise__county"))

    def _out(self, report, code=status.HTTP_200_OK) -> Response:
        return Response(AnnualReportOutput(AnnualReport.objects.select_related("enterprise").get(pk=report.pk)).data,
                        status=code)

    @extend_schema(request=AnnualInput, responses={201: AnnualReportOutput})
    def create(self, request):
        data = AnnualInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        m = membership_of(request.user)
        if not (m and m.enterprise_id):
            raise NotPermitted()
        year = v.pop("year", None)
        report = annual.annual_create(actor=request.user, enterprise=m.enterprise, year=year, data=v)
        return self._out(report, status.HTTP_201_CREATED)

    @extend_schema(request=AnnualInput, responses=AnnualReportOutput)
    def partial_update(self, request, pk=None):
        data = AnnualInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        v.pop("year", None)
        return self._out(annual.annual_update(actor=request.user, report=self.get_object(), data=v))

    @extend_schema(request=AnnualAttestInput, responses=AnnualReportOutput)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        data = AnnualAttestInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(annual.annual_submit(actor=request.user, report=self.get_object(),
                                              attest=data.validated_data["attest"]))

    @extend_schema(request=AnnualCommentInput, responses=AnnualReportOutput)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        data = AnnualCommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(annual.annual_accept(actor=request.user, report=self.get_object(),
                                              comment=data.validated_data["comment"]))

    @extend_schema(request=AnnualCommentInput, responses=AnnualReportOutput, operation_id="annual_reports_return")
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        data = AnnualCommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(annual.annual_return(actor=request.user, report=self.get_object(),
                                              comment=data.validated_data["comment"]))

    @extend_schema(request=None, responses={201: AnnualReportOutput})
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        return self._out(annual.annual_amend(actor=request.user, report=self.get_object()), status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("annual-reports", AnnualReportViewSet, basename="annual-report")
