from django.urls import path

from . import inbox, views

urlpatterns = [
    path("", views.home, name="home"),
    path("enterprises/", views.enterprise_list_view, name="enterprise-list"),
    path("enterprises/<int:pk>/", views.enterprise_detail_view, name="enterprise-detail"),
    path("audit/", views.audit_list_view, name="audit-list"),
    path("inbox/", inbox.inbox_view, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_read_view, name="inbox-read-all"),
    path("inbox/<int:pk>/read/", inbox.inbox_mark_read_view, name="inbox-read"),
]
