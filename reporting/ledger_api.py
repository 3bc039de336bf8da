"""HTTP API of the shipment ledger: list/declare/retrieve shipments, ``confirm/``, ``dispute/``, ``dispatch/``,
imports, and the chain-of-custody ``trace/``. Thin: parse → service/selector → serialize."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from organizations.permissions import HasMembership
from organizations.selectors import membership_of
from quota_portal.errors import DomainValidationError, NotPermitted

from . import ledger
from .models import Shipment
from .trace import shipment_trace


class ShipmentOutput(serializers.ModelSerializer):
    received_tonnes = serializers.DecimalField(source="receipt.tonnes", max_digits=14, decimal_places=3,
                                               read_only=True, allow_null=True, default=None)
    received_date = serializers.DateField(source="receipt.received_date", read_only=True, allow_null=True,
                                          default=None)
    dispute_reason = serializers.CharField(source="receipt.dispute_reason", read_only=True, allow_null=True,
                                           default=None)

    class Meta:
        model = Shipment
        fields = ["id", "number", "origin", "status", "seller", "seller_credit_code", "seller_name", "seller_country",
                  "buyer", "buyer_credit_code", "buyer_name", "buyer_country", "product", "lots", "net_weight_t",
                  "reo_pct", "tonnes", "dispatch_date", "document_no", "customs_no", "export_licence_no",
                  "origin_country", "received_tonnes", "received_date", "dispute_reason"]


class ShipmentInput(serializers.Serializer):
    """Checked by the service so that every error names its field."""

    buyer_credit_code = serializers.CharField(required=False, allow_blank=True)
    buyer_name = serializers.CharField(required=False, allow_blank=True)
    buyer_country = serializers.CharField(required=False, allow_blank=True)
    product = serializers.CharField(required=False, allow_blank=True)
    lots = serializers.CharField(required=False, allow_blank=True)
    net_weight_t = serializers.CharField(required=False, allow_blank=True)
    reo_pct = serializers.CharField(required=False, allow_blank=True)
    dispatch_date = serializers.CharField(required=False, allow_blank=True)
    document_no = serializers.CharField(required=False, allow_blank=True)
    customs_no = serializers.CharField(required=False, allow_blank=True)
    export_licence_no = serializers.CharField(required=False, allow_blank=True)


class ImportInput(serializers.Serializer):
    seller_name = serializers.CharField(required=False, allow_blank=True)
    origin_country = serializers.CharField(required=False, allow_blank=True)
    customs_no = serializers.CharField(required=False, allow_blank=True)
    product = serializers.CharField(required=False, allow_blank=True)
    lots = serializers.CharField(required=False, allow_blank=True)
    net_weight_t = serializers.CharField(required=False, allow_blank=True)
    reo_pct = serializers.CharField(required=False, allow_blank=True)
    received_date = serializers.CharField(required=False, allow_blank=True)


class ConfirmInput(serializers.Serializer):
    received_tonnes = serializers.CharField(required=False, allow_blank=True)
    received_date = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TraceOutput(serializers.Serializer):
    shipment = serializers.CharField()
    direction = serializers.CharField()
    depth = serializers.IntegerField()
    rule = serializers.CharField()
    nodes = serializers.ListField(child=serializers.DictField())
    edges = serializers.ListField(child=serializers.DictField())
    rows = serializers.ListField(child=serializers.DictField())


def _own_enterprise(user):
    m = membership_of(user)
    if m is None or m.enterprise is None:
        raise NotPermitted()
    return m.enterprise


class ShipmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Shipments in the ledger (scoped: an enterprise its own, an authority those with a party in its area)."""

    permission_classes = [HasMembership]
    serializer_class = ShipmentOutput

    def get_queryset(self):
        p = self.request.query_params
        try:
            year = int(p["year"]) if p.get("year") else None
        except ValueError:
            raise DomainValidationError(errors={"year": [_("The year is a number.")]})
        return ledger.shipment_list(user=self.request.user, status=p.get("status", ""),
                                    direction=p.get("direction", ""), search=p.get("search", ""), year=year)

    @extend_schema(request=ShipmentInput, responses={201: ShipmentOutput})
    def create(self, request):
        data = ShipmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        s = ledger.shipment_declare(actor=request.user, seller=_own_enterprise(request.user),
                                    data=dict(data.validated_data))
        return Response(ShipmentOutput(s).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ImportInput, responses={201: ShipmentOutput})
    @action(detail=False, methods=["post"], url_path="imports")
    def imports(self, request):
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        s = ledger.import_record(actor=request.user, importer=_own_enterprise(request.user),
                                 data=dict(data.validated_data))
        return Response(ShipmentOutput(s).data, status=status.HTTP_201_CREATED)

    def _receive(self, request, pk, dispute: bool):
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        s = self.get_object()
        v = data.validated_data
        ledger.shipment_confirm(actor=request.user, shipment_id=s.pk, received_tonnes=v.get("received_tonnes"),
                                received_date=v.get("received_date"), dispute=dispute,
                                dispute_reason=v.get("reason", ""))
        return Response(ShipmentOutput(Shipment.objects.select_related("receipt").get(pk=s.pk)).data)

    @extend_schema(request=ConfirmInput, responses={200: ShipmentOutput})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._receive(request, pk, dispute=False)

    @extend_schema(request=ConfirmInput, responses={200: ShipmentOutput})
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        return self._receive(request, pk, dispute=True)

    @extend_schema(request=None, responses={200: ShipmentOutput})
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_(self, request, pk=None):
        s = ledger.shipment_dispatch(actor=request.user, shipment=self.get_object())
        return Response(ShipmentOutput(s).data)

    @extend_schema(parameters=[
        OpenApiParameter("direction", OpenApiTypes.STR, enum=["up", "down"], required=False),
        OpenApiParameter("depth", OpenApiTypes.INT, required=False)], responses={200: TraceOutput})
    @action(detail=True, methods=["get"])
    def trace(self, request, pk=None):
        direction = request.query_params.get("direction", "up")
        errors = {}
        if direction not in ("up", "down"):
            errors["direction"] = [_("Choose up or down.")]
        try:
            depth = int(request.query_params.get("depth", "5"))
            if not 0 <= depth <= 50:
                raise ValueError
        except ValueError:
            errors["depth"] = [_("The depth is a whole number between 0 and 50.")]
            depth = 0
        if errors:
            raise DomainValidationError(errors=errors)
        t = shipment_trace(user=request.user, shipment=self.get_object(), direction=direction, depth=depth)
        return Response(t.as_data())


def register(router) -> None:
    router.register("shipments", ShipmentViewSet, basename="shipment")
