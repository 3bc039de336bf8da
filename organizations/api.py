from django.contrib.auth import authenticate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from .models import AuditEntry, Authority, CapacityRecord, Enterprise, Licence, Permit
from .permissions import HasMembership
from .register_selectors import designation_status_map
from .selectors import audit_entry_list, authority_list, enterprise_list
from .twofactor import token_is_valid_for, two_factor_required


class AuthorityOutput(serializers.ModelSerializer):
    class Meta:
        model = Authority
        fields = ["id", "name", "name_en", "level", "code", "parent"]


class LicenceOutput(serializers.ModelSerializer):
    class Meta:
        model = Licence
        fields = ["id", "activity", "number", "valid_from", "valid_to", "status"]


class PermitBrief(serializers.ModelSerializer):
    class Meta:
        model = Permit
        fields = ["id", "kind", "number", "issuer", "valid_from", "valid_to"]


class CapacityBrief(serializers.ModelSerializer):
    class Meta:
        model = CapacityRecord
        fields = ["id", "activity", "tonnes", "effective_from", "source"]


class DesignationBrief(serializers.Serializer):
    activity = serializers.CharField()
    status = serializers.CharField()
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    designated_on = serializers.DateField(allow_null=True)
    document_no = serializers.CharField()


class EnterpriseOutput(serializers.ModelSerializer):
    county_code = serializers.CharField(source="county.code", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True, default=None)
    licences = LicenceOutput(many=True, read_only=True)
    designations = serializers.SerializerMethodField(help_text="Designation status per activity today, derived "
                                                                "from the approved decisions.")
    permits = PermitBrief(many=True, read_only=True)
    capacities = CapacityBrief(many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "name_en", "credit_code", "county", "county_code", "county_name", "group",
                  "group_name", "smelting_capacity_t", "stop_rectify_ordered", "licences", "designations",
                  "permits", "capacities"]

    @extend_schema_field(DesignationBrief(many=True))
    def get_designations(self, obj) -> list[dict]:
        states = self.context.get("designations")
        if states is None:
            states = designation_status_map(enterprise_ids=[obj.pk], on=timezone.localdate())
        return [{"activity": act, "status": d.status, "since": d.since, "until": d.until,
                 "designated_on": d.designated_on, "document_no": d.document_no}
                for (ent_id, act), d in sorted(states.items()) if ent_id == obj.pk]


class AuditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor_username", "organisation", "action", "object_type", "object_id",
                  "before", "after", "request_id", "hash"]


class AuthorityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuthorityOutput
    permission_classes = [HasMembership]
    filterset_fields = ["level", "parent", "code"]
    search_fields = ["name", "code"]

    def get_queryset(self):
        return authority_list(user=self.request.user)


class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EnterpriseOutput
    permission_classes = [HasMembership]
    filterset_fields = ["county", "group"]
    search_fields = ["name", "credit_code"]
    ordering_fields = ["name", "credit_code"]

    def get_queryset(self):
        return enterprise_list(user=self.request.user).prefetch_related("licences", "permits", "capacities").order_by(
            "name", "id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        states = designation_status_map(enterprise_ids=[e.pk for e in page], on=timezone.localdate())
        data = self.get_serializer(page, many=True, context={**self.get_serializer_context(), "designations": states})
        return self.get_paginated_response(data.data)


class AuditEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail of the caller's subtree (authorities only). Entries are read-only by design."""

    serializer_class = AuditEntryOutput
    permission_classes = [HasMembership]
    filterset_fields = ["action", "object_type", "object_id"]
    search_fields = ["actor_username", "action", "object_id"]

    def get_queryset(self):
        return audit_entry_list(user=self.request.user).order_by("-id")


class TokenInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp_token = serializers.CharField(required=False, allow_blank=True,
                                      help_text="TOTP code; required for ministry roles and county reviewers.")


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (django-axes counts failures here too)."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    schema_no_error_statuses = {404, 409}  # (a locked-out account: 429, like the throttle)

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [_("Unable to log in with these credentials.")]})
        if two_factor_required(user) and not token_is_valid_for(user, data.validated_data.get("otp_token")):
            raise serializers.ValidationError(
                {"otp_token": [_("A valid two-factor code is required for your role.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
