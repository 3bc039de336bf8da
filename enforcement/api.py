"""/api/v1/flags/, /api/v1/cases/, /api/v1/penalties/, /api/v1/penalty-rules/, /api/v1/job-runs/ and the
inbox (/api/v1/notifications/). Thin: parse → service/selector → serialize."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from organizations.inbox import NotificationViewSet
from organizations.models import Enterprise, IndicatorType
from organizations.permissions import HasMembership, require
from quota_portal.errors import InvalidTransition
from quota_portal.quantities import TONNES_FORM

from . import selectors, services
from .models import (
    Case,
    CaseEvent,
    CaseOrigin,
    CaseStatus,
    Flag,
    FlagKind,
    FlagStatus,
    Hearing,
    JobRun,
    Penalty,
    PenaltyDeduction,
    PenaltyReview,
    PenaltyRule,
    ReviewKind,
    ReviewOutcome,
    Statement,
    ViolationType,
)

# --- serializers ---------------------------------------------------------------------------------------


class FlagOutput(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    county_code = serializers.CharField(source="enterprise.county.code", read_only=True)
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Flag
        fields = ["id", "kind", "enterprise", "enterprise_name", "county_code", "year", "month", "indicator_type",
                  "subject", "status", "details", "raised_at", "resolved_by", "resolved_at", "resolution"]


class ResolveInput(serializers.Serializer):
    comment = serializers.CharField()


class DeductionIO(serializers.Serializer):
    indicator_type = serializers.ChoiceField(choices=IndicatorType.choices)
    tonnes = serializers.DecimalField(min_value=0, **TONNES_FORM)


class DeductionOutput(serializers.ModelSerializer):
    class Meta:
        model = PenaltyDeduction
        fields = ["indicator_type", "year", "tonnes", "status", "applied_at"]


class StatementOutput(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        fields = ["submitted_by", "submitted_at", "text", "waived", "attachments"]

    def get_attachments(self, obj) -> list[dict]:
        return [{"name": a.name, "size": a.size} for a in obj.attachments.all()]


class PenaltyOutput(serializers.ModelSerializer):
    deductions = DeductionOutput(many=True, read_only=True)
    statement = serializers.SerializerMethodField()
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None, allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Penalty
        fields = ["id", "case", "enterprise", "violation_type", "violation_date", "rule", "legal_basis", "facts",
                  "fine_cny", "illegal_income_cny", "fine_warnings", "deduction_year", "deductions", "status",
                  "proposed_by", "notice_issued_at", "statement_due_at", "statement", "decided_by", "decided_at",
                  "consideration", "approved_by", "approved_at", "rejection_reason", "deduction_year_stated",
                  "hearing_offered", "hearing_request_due", "hearing", "document_no", "payment_due", "paid_at",
                  "receipt_no", "payment_overdue", "reviews", "annulled_at"]

    hearing = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()
    payment_overdue = serializers.BooleanField(read_only=True)

    def get_hearing(self, obj) -> dict | None:
        h = Hearing.objects.filter(penalty=obj).first()
        if h is None:
            return None
        return {"requested_at": h.requested_at, "waived": h.waived, "scheduled_for": h.scheduled_for,
                "participants": h.participants, "record": h.record, "held_at": h.held_at}

    def get_reviews(self, obj) -> list[dict]:
        return [{"id": r.id, "kind": r.kind, "filed_on": r.filed_on, "body": r.body, "outcome": r.outcome,
                 "outcome_on": r.outcome_on, "outcome_text": r.outcome_text} for r in obj.reviews.all()]

    def get_statement(self, obj) -> dict | None:
        try:
            st = obj.statement  # prefetched by selectors.case_get
        except Statement.DoesNotExist:
            return None
        return StatementOutput(st).data


class EventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["at", "actor", "kind", "text", "data"]


class CaseOutput(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    flags = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Case
        fields = ["id", "enterprise", "enterprise_name", "origin", "title", "description", "status", "flags",
                  "opened_by", "opened_at", "correction_order", "correction_deadline", "correction_note",
                  "closed_at"]


class CaseDetailOutput(CaseOutput):
    penalties = PenaltyOutput(many=True, read_only=True)
    events = EventOutput(many=True, read_only=True)

    class Meta(CaseOutput.Meta):
        fields = [*CaseOutput.Meta.fields, "penalties", "events"]


class CaseOpenInput(serializers.Serializer):
    enterprise = serializers.IntegerField(required=False)
    flag_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    origin = serializers.ChoiceField(choices=CaseOrigin.choices, default=CaseOrigin.FLAGS)
    title = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class OrderCorrectionInput(serializers.Serializer):
    order = serializers.CharField()
    deadline = serializers.DateField()


class NoteInput(serializers.Serializer):
    note = serializers.CharField()


class CommentInput(serializers.Serializer):
    comment = serializers.CharField()


class PenalizeInput(serializers.Serializer):
    violation_type = serializers.ChoiceField(choices=ViolationType.choices)
    violation_date = serializers.DateField()
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="")
    facts = serializers.CharField(required=False, allow_blank=True, default="")
    fine_cny = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    illegal_income_cny = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                                  allow_null=True, default=None)
    deduction_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    deductions = DeductionIO(many=True, required=False, allow_null=True, default=None,
                             help_text="Omit to apply the default of the rule in force on the violation date.")


class HearingRequestInput(serializers.Serializer):
    waive = serializers.BooleanField(required=False, default=False)


class HearingScheduleInput(serializers.Serializer):
    scheduled_for = serializers.DateTimeField()
    participants = serializers.CharField(required=False, allow_blank=True, default="")


class HearingRecordInput(serializers.Serializer):
    record = serializers.CharField(allow_blank=True)
    participants = serializers.CharField(required=False, allow_blank=True, default="")


class PaymentInput(serializers.Serializer):
    receipt_no = serializers.CharField(allow_blank=True, max_length=60)
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)


class ReviewFileInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReviewKind.choices)
    filed_on = serializers.DateField()
    body = serializers.CharField(allow_blank=True, max_length=200)


class ReviewDecideInput(serializers.Serializer):
    review = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=[c for c in ReviewOutcome.choices if c[0] != "pending"])
    decided_on = serializers.DateField()
    text = serializers.CharField(required=False, allow_blank=True, default="")


class EscalateInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class StatementInput(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    waived = serializers.BooleanField(required=False, default=False)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class DecideInput(serializers.Serializer):
    consideration = serializers.CharField()


class RejectInput(serializers.Serializer):
    reason = serializers.CharField()


class PenaltyRuleOutput(serializers.ModelSerializer):
    class Meta:
        model = PenaltyRule
        fields = ["id", "violation_type", "valid_from", "valid_to", "legal_basis", "fine_min_cny", "fine_max_cny",
                  "income_multiple_min", "income_multiple_max", "deduction_basis", "deduction_factor",
                  "deduction_fixed_t", "note"]


class JobRunOutput(serializers.ModelSerializer):
    class Meta:
        model = JobRun
        fields = ["id", "job", "params", "status", "total", "done", "created", "percent", "message", "started_at",
                  "finished_at"]


# --- filters -------------------------------------------------------------------------------------------


class FlagFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=FlagKind.choices)
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    region = django_filters.CharFilter(method="filter_region", label="division code (subtree)")

    class Meta:
        model = Flag
        fields = ["kind", "status", "enterprise", "year", "month", "indicator_type"]

    def filter_region(self, qs, name, value):
        return qs.filter(enterprise__county__path__contains=f"/{value}/")


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)

    class Meta:
        model = Case
        fields = ["status", "enterprise", "origin"]


# --- viewsets ------------------------------------------------------------------------------------------


class FlagViewSet(viewsets.ReadOnlyModelViewSet):
    """Flags raised by the scheduled jobs, in the caller's scope."""

    serializer_class = FlagOutput
    permission_classes = [HasMembership]
    filterset_class = FlagFilter
    search_fields = ["enterprise__name", "subject"]

    def get_queryset(self):
        return selectors.flag_list(user=self.request.user)

    @extend_schema(request=ResolveInput, responses=FlagOutput)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        flag = self.get_object()
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_resolve(actor=request.user, flag=flag, comment=data.validated_data["comment"])
        return Response(FlagOutput(flag).data)


class CaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Violation cases: open from flags or an inspection, order correction, penalise, approve, close."""

    permission_classes = [HasMembership]
    filterset_class = CaseFilter
    search_fields = ["title", "enterprise__name"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = selectors.case_list(user=self.request.user).prefetch_related("flags")
        if self.action != "list":
            qs = qs.prefetch_related("events__actor", "penalties__deductions", "penalties__proposed_by",
                                     "penalties__decided_by", "penalties__approved_by",
                                     "penalties__statement__submitted_by", "penalties__statement__attachments")
        return qs

    def get_serializer_class(self):
        return CaseOutput if self.action == "list" else CaseDetailOutput

    def _detail(self, case) -> Response:
        return Response(CaseDetailOutput(selectors.case_get(user=self.request.user, pk=case.pk)).data)

    def _penalty(self, case: Case, perm: str) -> Penalty:
        """The case's penalty in progress — after the role check, so a role that may not use the verb
        hears 403 whatever the state of the case."""
        require(self.request.user, perm)
        penalty = selectors.penalty_in_progress(case=case)
        if penalty is None:
            raise InvalidTransition(_("This case has no penalty in progress."))
        return penalty

    @extend_schema(request=CaseOpenInput, responses={201: CaseDetailOutput})
    def create(self, request, *args, **kwargs):
        data = CaseOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enterprise = None
        if v.get("enterprise"):
            # Out of scope answers 403 (not your county) rather than silently creating nothing.
            enterprise = Enterprise.objects.filter(pk=v["enterprise"]).first()
            if enterprise is None:
                raise serializers.ValidationError({"enterprise": ["Unknown enterprise."]})
        flag_ids = v["flag_ids"]
        visible = set(selectors.flag_list(user=request.user).filter(pk__in=flag_ids).values_list("pk", flat=True))
        if set(flag_ids) - visible:
            raise serializers.ValidationError({"flag_ids": ["Unknown flag."]})
        case = services.case_open(actor=request.user, enterprise=enterprise, flag_ids=flag_ids, origin=v["origin"],
                                  title=v["title"], description=v["description"])
        resp = self._detail(case)
        resp.status_code = status.HTTP_201_CREATED
        return resp

    @extend_schema(request=OrderCorrectionInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="order-correction")
    def order_correction(self, request, pk=None):
        case = self.get_object()
        data = OrderCorrectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_order_correction(actor=request.user, case=case, **data.validated_data)
        return self._detail(case)

    @extend_schema(request=NoteInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="record-correction")
    def record_correction(self, request, pk=None):
        case = self.get_object()
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_record_correction(actor=request.user, case=case, **data.validated_data)
        return self._detail(case)

    @extend_schema(request=CommentInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        case = self.get_object()
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_close(actor=request.user, case=case, **data.validated_data)
        return self._detail(case)

    @extend_schema(request=PenalizeInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def penalize(self, request, pk=None):
        case = self.get_object()
        data = PenalizeInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if v.get("deductions") is not None:
            v["deductions"] = [dict(d) for d in v["deductions"]]
        penalty = services.penalty_propose(actor=request.user, case=case, **v)
        return self._detail(penalty.case)

    @extend_schema(request=StatementInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def statement(self, request, pk=None):
        case = self.get_object()
        data = StatementInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.statement_submit(actor=request.user, penalty=self._penalty(case, "enforcement.submit_statement"), **data.validated_data)
        return self._detail(case)

    @extend_schema(request=DecideInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="decide-penalty")
    def decide_penalty(self, request, pk=None):
        case = self.get_object()
        data = DecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.penalty_decide(actor=request.user, penalty=self._penalty(case, "enforcement.decide_penalty"), **data.validated_data)
        return self._detail(case)

    @extend_schema(request=None, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="approve-penalty")
    def approve_penalty(self, request, pk=None):
        case = self.get_object()
        services.penalty_approve(actor=request.user, penalty=self._penalty(case, "enforcement.approve_penalty"))
        return self._detail(case)

    @extend_schema(request=RejectInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="reject-penalty")
    def reject_penalty(self, request, pk=None):
        case = self.get_object()
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.penalty_reject(actor=request.user, penalty=self._penalty(case, "enforcement.approve_penalty"), **data.validated_data)
        return self._detail(case)


    def _effective_penalty(self, case: Case, perm: str) -> Penalty:
        require(self.request.user, perm)
        penalty = case.penalties.filter(status__in=["approved", "annulled"]).order_by("-pk").first()
        if penalty is None:
            raise InvalidTransition(_("This case has no penalty in effect."))
        return penalty

    @extend_schema(request=HearingRequestInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def hearing(self, request, pk=None):
        """The enterprise requests a hearing (听证) within the deadline, or waives it."""
        case = self.get_object()
        data = HearingRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.hearing_request(actor=request.user, penalty=self._penalty(case, "enforcement.submit_statement"),
                                 waive=data.validated_data["waive"])
        return self._detail(case)

    @extend_schema(request=HearingScheduleInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="schedule-hearing")
    def schedule_hearing(self, request, pk=None):
        case = self.get_object()
        data = HearingScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.hearing_schedule(actor=request.user, penalty=self._penalty(case, "enforcement.decide_penalty"),
                                  **data.validated_data)
        return self._detail(case)

    @extend_schema(request=HearingRecordInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="record-hearing")
    def record_hearing(self, request, pk=None):
        case = self.get_object()
        data = HearingRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.hearing_record(actor=request.user, penalty=self._penalty(case, "enforcement.decide_penalty"),
                                **data.validated_data)
        return self._detail(case)

    @extend_schema(request=PaymentInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="record-payment")
    def record_payment(self, request, pk=None):
        case = self.get_object()
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.payment_record(actor=request.user, penalty=self._effective_penalty(case, "enforcement.manage_case"),
                                **data.validated_data)
        return self._detail(case)

    @extend_schema(request=ReviewFileInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="file-review")
    def file_review(self, request, pk=None):
        """Record an application for reconsideration (复议) or a suit (诉讼) against the decision."""
        case = self.get_object()
        data = ReviewFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_file(actor=request.user, penalty=self._effective_penalty(case, "enforcement.manage_case"),
                             **data.validated_data)
        return self._detail(case)

    @extend_schema(request=ReviewDecideInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"], url_path="decide-review")
    def decide_review(self, request, pk=None):
        """Record the outcome; ``annulled`` cancels or reverses the penalty's deductions, exactly once."""
        case = self.get_object()
        data = ReviewDecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        penalty = self._effective_penalty(case, "enforcement.manage_case")
        review = PenaltyReview.objects.filter(pk=v["review"], penalty=penalty).first()
        if review is None:
            raise serializers.ValidationError({"review": ["Unknown review."]})
        services.review_decide(actor=request.user, review=review, outcome=v["outcome"], decided_on=v["decided_on"],
                               text=v["text"])
        return self._detail(case)

    @extend_schema(request=EscalateInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """The order to correct was refused: open a further case (answers the new case)."""
        case = self.get_object()
        data = EscalateInput(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.case_escalate(actor=request.user, case=case, reason=data.validated_data["reason"])
        resp = self._detail(new)
        resp.status_code = status.HTTP_201_CREATED
        return resp


class PenaltyRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The versioned penalty ranges and default deduction rules (the one in force on the violation date applies)."""

    serializer_class = PenaltyRuleOutput
    permission_classes = [HasMembership]
    filterset_fields = ["violation_type"]

    def get_queryset(self):
        return selectors.penalty_rule_list()


class JobRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Progress of the scheduled jobs (authorities and the ministry)."""

    serializer_class = JobRunOutput
    permission_classes = [HasMembership]
    filterset_fields = ["job", "status"]

    def get_queryset(self):
        if not self.request.user.has_perm("enforcement.view_jobs"):
            return JobRun.objects.none()
        return selectors.job_run_list()


def register(router) -> None:
    router.register("flags", FlagViewSet, basename="flag")
    router.register("cases", CaseViewSet, basename="case")
    router.register("penalty-rules", PenaltyRuleViewSet, basename="penalty-rule")
    router.register("job-runs", JobRunViewSet, basename="job-run")
    router.register("notifications", NotificationViewSet, basename="notification")

