"""The in-portal inbox: a page (/inbox/) and an API (/api/v1/notifications/) over organizations.notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .models import Notification
from .notifications import notification_list, notification_mark_read


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return notification_list(user=user).filter(read_at__isnull=True).count()


def context(request):
    """Context processor: the unread count shown next to the inbox link in the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": unread_count(user)}


@login_required
def inbox_view(request):
    only_unread = request.GET.get("unread") == "1"
    qs = notification_list(user=request.user)
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-id"), 25).get_page(request.GET.get("page"))
    return render(request, "organizations/inbox.html", {
        "page": page, "only_unread": only_unread, "extra_qs": "unread=1&" if only_unread else "",
        "unread": unread_count(request.user)})


@login_required
@require_POST
def inbox_mark_read_view(request, pk: int | None = None):
    notification_mark_read(user=request.user, pk=pk)
    if request.htmx and pk is not None:
        n = notification_list(user=request.user).filter(pk=pk).first()
        if n is not None:
            return render(request, "organizations/_inbox_row.html", {"n": n})
    return redirect("inbox")


class NotificationOutput(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at", "read"]

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own inbox. ``?unread=1`` lists unread entries only."""

    serializer_class = NotificationOutput
    permission_classes = [IsAuthenticated]
    filterset_fields = ["kind"]

    queryset = Notification.objects.none()  # for the schema generator

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        qs = notification_list(user=self.request.user).order_by("-created_at", "-id")
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=MarkReadOutput)
    @action(detail=True, methods=["post"], url_path="read")
    def read(self, request, pk=None):
        n = self.get_object()
        return Response({"marked": notification_mark_read(user=request.user, pk=n.pk)})

    @extend_schema(request=None, responses=MarkReadOutput)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": notification_mark_read(user=request.user)})
