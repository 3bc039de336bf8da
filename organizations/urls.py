from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("enterprises/", views.enterprise_list_view, name="enterprise-list"),
    path("enterprises/<int:pk>/", views.enterprise_detail_view, name="enterprise-detail"),
    path("audit/", views.audit_list_view, name="audit-list"),
]
