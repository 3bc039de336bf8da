"""API of the register: designation decisions (+ approve/reject), permits, capacity, invitations (+ accept without
login). Thin: the services decide, the selectors scope (out of scope = 404)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from quota_portal.errors import DomainValidationError, NotFound

from . import accounts, register_services
from .models import (
    CapacityRecord,
    DesignationDecision,
    DesignationKind,
    Enterprise,
    EnterpriseGroup,
    IndicatorType,
    Invitation,
    Permit,
    PermitKind,
    Role,
)
from .permissions import HasMembership
from .register_selectors import capacity_list, decision_list, invitation_list, permit_list
from .selectors import authority_list, enterprise_list, enterprise_q


class DecisionOutput(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    drafted_by = serializers.CharField(source="drafted_by.username", read_only=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = DesignationDecision
        fields = ["id", "enterprise", "enterprise_name", "activity", "kind", "document_no", "effective_from",
                  "effective_to", "basis", "status", "drafted_by", "drafted_at", "decided_by", "decided_at"]


class NewEnterpriseInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    credit_code = serializers.CharField(max_length=40)
    county_code = serializers.CharField(max_length=6)
    group_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class DecisionInput(serializers.Serializer):
    enterprise = serializers.IntegerField(required=False, help_text="An enterprise in the register; or new_enterprise.")
    new_enterprise = NewEnterpriseInput(required=False)
    activity = serializers.ChoiceField(choices=IndicatorType.choices)
    kind = serializers.ChoiceField(choices=DesignationKind.choices)
    document_no = serializers.CharField(max_length=64)
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(required=False, allow_null=True, default=None)
    basis = serializers.CharField(max_length=4000)


class DesignationRejectInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DesignationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Designation, suspension, reinstatement and revocation decisions (drafted, then approved by a second
    ministry person). Approved decisions are immutable; the status on a date is derived from them."""

    serializer_class = DecisionOutput
    permission_classes = [HasMembership]
    filterset_fields = ["enterprise", "activity", "kind", "status"]

    def get_queryset(self):
        return decision_list(user=self.request.user).order_by("-id")

    @extend_schema(request=DecisionInput, responses={201: DecisionOutput}, summary="Draft a decision")
    def create(self, request):
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enterprise = None
        if v.get("enterprise") is not None:
            enterprise = enterprise_list(user=request.user).filter(pk=v["enterprise"]).first()
            if enterprise is None:
                raise DomainValidationError(errors={"enterprise": [_("Unknown enterprise.")]})
        dec = register_services.designation_draft(
            actor=request.user, enterprise=enterprise, new_enterprise=dict(v["new_enterprise"]) if v.get(
                "new_enterprise") else None, activity=v["activity"], kind=v["kind"], document_no=v["document_no"],
            effective_from=v["effective_from"], effective_to=v.get("effective_to"), basis=v["basis"])
        return Response(DecisionOutput(dec).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DecisionOutput}, summary="Approve a drafted decision (four eyes)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        dec = register_services.designation_approve(actor=request.user, decision=self.get_object())
        return Response(DecisionOutput(dec).data)

    @extend_schema(request=DesignationRejectInput, responses={200: DecisionOutput}, summary="Reject a drafted decision")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = DesignationRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        dec = register_services.designation_reject(actor=request.user, decision=self.get_object(),
                                                   reason=data.validated_data["reason"])
        return Response(DecisionOutput(dec).data)


class PermitOutput(serializers.ModelSerializer):
    scan_url = serializers.SerializerMethodField()

    class Meta:
        model = Permit
        fields = ["id", "enterprise", "kind", "number", "issuer", "valid_from", "valid_to", "scan_url", "recorded_at"]

    def get_scan_url(self, obj) -> str:
        return obj.scan.url if obj.scan else ""


class PermitInput(serializers.Serializer):
    enterprise = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PermitKind.choices)
    number = serializers.CharField(max_length=64)
    issuer = serializers.CharField(max_length=120)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    scan = serializers.FileField(required=False)


class PermitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Permits as issued (mining, safety production, pollutant discharge, radiation safety). Never edited: a renewal
    is a new permit."""

    serializer_class = PermitOutput
    permission_classes = [HasMembership]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["enterprise", "kind"]

    def get_queryset(self):
        return permit_list(user=self.request.user).order_by("-id")

    @extend_schema(request=PermitInput, responses={201: PermitOutput}, summary="Record a permit")
    def create(self, request):
        data = PermitInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enterprise = enterprise_list(user=request.user).filter(pk=v["enterprise"]).first()
        if enterprise is None:
            raise DomainValidationError(errors={"enterprise": [_("Unknown enterprise.")]})
        permit = register_services.permit_record(actor=request.user, enterprise=enterprise, kind=v["kind"],
                                                 number=v["number"], issuer=v["issuer"], valid_from=v["valid_from"],
                                                 valid_to=v["valid_to"], scan=v.get("scan"))
        return Response(PermitOutput(permit).data, status=status.HTTP_201_CREATED)


class CapacityOutput(serializers.ModelSerializer):
    class Meta:
        model = CapacityRecord
        fields = ["id", "enterprise", "activity", "tonnes", "effective_from", "source", "recorded_at"]


class CapacityViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CapacityOutput
    permission_classes = [HasMembership]
    filterset_fields = ["enterprise", "activity"]

    def get_queryset(self):
        return capacity_list(user=self.request.user).order_by("-id")


class InvitationOutput(serializers.ModelSerializer):
    organisation = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "full_name", "role", "manages_staff", "authority", "enterprise", "group",
                  "organisation", "created_at", "expires_at", "accepted_at"]


class InvitationInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    manages_staff = serializers.BooleanField(required=False, default=False)
    authority = serializers.IntegerField(required=False)
    enterprise = serializers.IntegerField(required=False)
    group = serializers.IntegerField(required=False)


class AcceptInput(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, style={"input_type": "password"}, trim_whitespace=False)


class AcceptOutput(serializers.Serializer):
    username = serializers.CharField()


def organisation_from(user, *, authority=None, enterprise=None, group=None):
    """The one organisation named, looked up in the caller's scope (unknown or out of scope → 404 by the service)."""
    given = [x for x in (authority, enterprise, group) if x is not None]
    if len(given) != 1:
        raise DomainValidationError(errors={"organisation": [_("Name exactly one organisation: an authority, an "
                                                               "enterprise or a group.")]})
    if authority is not None:
        org = authority_list(user=user).filter(pk=authority).first()
    elif enterprise is not None:
        org = enterprise_list(user=user).filter(pk=enterprise).first()
    else:
        org = EnterpriseGroup.objects.filter(enterprises__in=Enterprise.objects.filter(enterprise_q(user))).filter(
            pk=group).distinct().first() or EnterpriseGroup.objects.filter(pk=group, members__user=user).first()
    if org is None:
        raise NotFound()
    return org


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invitations into an organisation: the ministry invites first managers, a manager its own staff."""

    serializer_class = InvitationOutput
    permission_classes = [HasMembership]
    throttle_scope = "token"  # read by the ScopedRateThrottle of ``accept`` only

    def get_queryset(self):
        return invitation_list(user=self.request.user).select_related("authority", "enterprise", "group")

    @extend_schema(request=InvitationInput, responses={201: InvitationOutput},
                   summary="Invite a person (e-mailed single-use link)")
    def create(self, request):
        data = InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        org = organisation_from(request.user, authority=v.get("authority"), enterprise=v.get("enterprise"),
                                group=v.get("group"))
        inv, _token = accounts.invitation_create(actor=request.user, organisation=org, email=v["email"],
                                                 role=v["role"], full_name=v["full_name"],
                                                 manages_staff=v["manages_staff"],
                                                 base_url=request.build_absolute_uri("/")[:-1])
        return Response(InvitationOutput(inv).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AcceptInput, responses={201: AcceptOutput},
                   summary="Accept an invitation by its token (no login): creates the account")
    @action(detail=False, methods=["post"], permission_classes=[AllowAny], authentication_classes=[],
            throttle_classes=[ScopedRateThrottle])
    def accept(self, request):
        data = AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = accounts.invitation_accept(token=v["token"], username=v["username"], password=v["password"])
        return Response({"username": user.get_username()}, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("designations", DesignationViewSet, basename="designation")
    router.register("permits", PermitViewSet, basename="permit")
    router.register("capacities", CapacityViewSet, basename="capacity")
    router.register("invitations", InvitationViewSet, basename="invitation")
