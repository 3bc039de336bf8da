"""API of the allocations app: plans/, batches/ (+ submit/, approve/), quotas/. Thin: parse → service → serialize."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from organizations.models import Enterprise, EnterpriseGroup, IndicatorType
from organizations.permissions import HasMembership
from quota_portal.quantities import TONNES_FORM, YEAR_MAX, YEAR_MIN

from . import selectors, services
from .models import AllocationLine, BatchStatus, IssuanceBatch, NationalPlan, PlanStatus

TONNES = TONNES_FORM


# --- Plans -------------------------------------------------------------------------------------------


class PlanOutput(serializers.ModelSerializer):
    drafted_by = serializers.CharField(source="drafted_by.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None, allow_null=True)
    issuable_t = serializers.DecimalField(read_only=True, **TONNES)

    class Meta:
        model = NationalPlan
        fields = ["id", "year", "indicator_type", "revision", "previous", "total_t", "reserve_t", "issuable_t",
                  "basis", "status", "drafted_by", "drafted_at", "approved_by", "approved_at"]


class PlanInput(serializers.Serializer):
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX, required=False,
                                    help_text="Required unless `revises` is given.")
    indicator_type = serializers.ChoiceField(choices=IndicatorType.choices, required=False,
                                             help_text="Required unless `revises` is given.")
    total_t = serializers.DecimalField(min_value=0, **TONNES)
    reserve_t = serializers.DecimalField(min_value=0, default=Decimal(0), **TONNES)
    basis = serializers.CharField(required=False, allow_blank=True, default="")
    revises = serializers.PrimaryKeyRelatedField(queryset=NationalPlan.objects.filter(status=PlanStatus.APPROVED),
                                                 required=False, allow_null=True,
                                                 help_text="Id of the approved plan this draft revises.")

    def validate(self, attrs):
        if not attrs.get("revises") and (attrs.get("year") is None or not attrs.get("indicator_type")):
            raise ValidationError({"year": ["Give the year and indicator type, or the plan this one revises."]})
        return attrs


class PlanFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    indicator_type = django_filters.ChoiceFilter(choices=IndicatorType.choices)
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = NationalPlan
        fields = ["year", "indicator_type", "status"]


@extend_schema_view(
    list=extend_schema(summary="National plans (drafts only for the ministry)"),
    retrieve=extend_schema(summary="One national plan revision"),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    """National control indicators per year and indicator type. Drafted by one ministry user, approved by another
    (four eyes); an approved plan changes only through an approved revision (`revises`), which keeps history."""

    serializer_class = PlanOutput
    permission_classes = [HasMembership]
    filterset_class = PlanFilter
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.plan_list(user=self.request.user)

    @extend_schema(request=PlanInput, responses={201: PlanOutput}, summary="Draft a plan or a revision")
    def create(self, request, *args, **kwargs):
        data = PlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v.get("revises"):
            plan = services.plan_revise(actor=request.user, plan=v["revises"], total_t=v["total_t"],
                                        reserve_t=v["reserve_t"], basis=v["basis"])
        else:
            plan = services.plan_create(actor=request.user, year=v["year"], indicator_type=v["indicator_type"],
                                        total_t=v["total_t"], reserve_t=v["reserve_t"], basis=v["basis"])
        return Response(PlanOutput(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PlanOutput}, summary="Approve a draft plan (another approver)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        plan = services.plan_approve(actor=request.user, plan=self.get_object())
        return Response(PlanOutput(plan).data)


# --- Batches -----------------------------------------------------------------------------------------


class LineOutput(serializers.ModelSerializer):
    recipient_name = serializers.SerializerMethodField()

    class Meta:
        model = AllocationLine
        fields = ["id", "enterprise", "group", "recipient_name", "indicator_type", "tonnes"]

    def get_recipient_name(self, obj) -> str:
        return obj.recipient.name


class BatchApproveInput(serializers.Serializer):
    capacity_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                            help_text="Why a line above an enterprise's capacity is approved anyway.")


class BatchOutput(serializers.ModelSerializer):
    lines = LineOutput(many=True, read_only=True, source="visible_lines")
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = IssuanceBatch
        fields = ["id", "year", "sequence", "title", "document_no", "status", "created_by", "created_at",
                  "submitted_at", "approved_by", "issued_at", "breakdown_due", "breakdown_due_estimated", "lines"]


class LineInput(serializers.Serializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), required=False,
                                                    allow_null=True)
    group = serializers.PrimaryKeyRelatedField(queryset=EnterpriseGroup.objects.all(), required=False,
                                               allow_null=True)
    indicator_type = serializers.ChoiceField(choices=IndicatorType.choices)
    tonnes = serializers.DecimalField(**TONNES)


class BatchInput(serializers.Serializer):
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
    title = serializers.CharField(max_length=200)
    document_no = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    lines = LineInput(many=True, required=False, default=list)


class BatchFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices)

    class Meta:
        model = IssuanceBatch
        fields = ["year", "status"]


@extend_schema_view(
    list=extend_schema(summary="Issuance batches (others than the ministry: issued batches concerning them)"),
    retrieve=extend_schema(summary="One issuance batch with the lines the caller may see"),
)
class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Issuance batches: draft (with lines) → `submit/` → `approve/` (= issued, by another approver). Approval
    refuses over-issuance (409) and ineligible recipients (400, naming the rule)."""

    serializer_class = BatchOutput
    permission_classes = [HasMembership]
    filterset_class = BatchFilter
    search_fields = ["title", "document_no"]

    def get_queryset(self):
        visible = AllocationLine.objects.filter(selectors.line_q(self.request.user)).select_related(
            "enterprise", "group").order_by("id")
        return selectors.batch_list(user=self.request.user).prefetch_related(
            Prefetch("lines", queryset=visible, to_attr="visible_lines"))

    def _out(self, batch):
        return BatchOutput(self.get_queryset().get(pk=batch.pk)).data

    @extend_schema(request=BatchInput, responses={201: BatchOutput}, summary="Draft a batch with its lines")
    def create(self, request, *args, **kwargs):
        data = BatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        batch = services.batch_create(actor=request.user, year=v["year"], title=v["title"],
                                      document_no=v["document_no"], lines=[dict(line) for line in v["lines"]])
        return Response(self._out(batch), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BatchOutput}, summary="Submit a draft batch for approval")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        batch = services.batch_submit(actor=request.user, batch=self.get_object())
        return Response(self._out(batch))

    @extend_schema(request=BatchApproveInput, responses={200: BatchOutput},
                   summary="Approve (issue) a submitted batch — four eyes; 409 on over-issuance; 400 above capacity "
                           "without capacity_reason")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = BatchApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.batch_approve(actor=request.user, batch=self.get_object(),
                                       capacity_reason=data.validated_data.get("capacity_reason", ""))
        return Response(self._out(batch))


# --- Quotas ------------------------------------------------------------------------------------------


class QuotaOutput(serializers.Serializer):
    enterprise = serializers.IntegerField(source="enterprise.pk")
    enterprise_name = serializers.CharField(source="enterprise.name")
    credit_code = serializers.CharField(source="enterprise.credit_code")
    year = serializers.IntegerField()
    indicator_type = serializers.ChoiceField(choices=IndicatorType.choices)
    issued = serializers.DecimalField(**TONNES)
    breakdown_received = serializers.DecimalField(**TONNES)
    allocated = serializers.DecimalField(**TONNES, help_text="issued + breakdown_received")
    adjustments = serializers.DecimalField(**TONNES)
    deductions = serializers.DecimalField(**TONNES)
    effective = serializers.DecimalField(**TONNES, help_text="allocated + adjustments − deductions")
    used = serializers.DecimalField(**TONNES, help_text="accepted production, year to date")
    remaining = serializers.DecimalField(**TONNES, help_text="effective − used")


class QuotaQuery(serializers.Serializer):
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX, required=False)
    indicator_type = serializers.ChoiceField(choices=IndicatorType.choices, required=False)
    enterprise = serializers.IntegerField(required=False)
    search = serializers.CharField(required=False, allow_blank=True)


class QuotaViewSet(viewsets.GenericViewSet):
    """Effective quotas per enterprise, year and indicator type, scoped to the caller. Constant number of queries
    whatever the number of enterprises."""

    serializer_class = QuotaOutput
    permission_classes = [HasMembership]
    filter_backends: list = []

    @extend_schema(
        summary="Effective quotas",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="Year (default: the current year)"),
            OpenApiParameter("indicator_type", OpenApiTypes.STR, enum=IndicatorType.values),
            OpenApiParameter("enterprise", OpenApiTypes.INT, description="Enterprise id"),
            OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name or credit code"),
        ],
        responses={200: QuotaOutput(many=True)},
    )
    def list(self, request):
        q = QuotaQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        rows = selectors.quota_list_paged(
            user=request.user, year=v.get("year") or timezone.localdate().year,
            indicator_type=v.get("indicator_type"),
            enterprise_ids=[v["enterprise"]] if v.get("enterprise") else None, search=v.get("search", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(QuotaOutput(page, many=True).data)



def register(router) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("batches", BatchViewSet, basename="batch")
    router.register("quotas", QuotaViewSet, basename="quota")
