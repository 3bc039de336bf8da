from django.contrib.auth import views as auth_views
from django.urls import path

from . import inbox, register_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("enterprises/", register_views.register_list_view, name="enterprise-list"),
    path("enterprises/export.<str:fmt>", register_views.register_export_view, name="register-export"),
    path("enterprises/<int:pk>/", register_views.enterprise_detail_view, name="enterprise-detail"),
    path("enterprises/<int:pk>/permits/new/", register_views.permit_new_view, name="permit-new"),
    path("enterprises/<int:pk>/capacity/new/", register_views.capacity_new_view, name="capacity-new"),
    path("register/decisions/", register_views.designation_list_view, name="designation-list"),
    path("register/decisions/new/", register_views.designation_new_view, name="designation-new"),
    path("register/decisions/<int:pk>/decide/", register_views.designation_decide_view, name="designation-decide"),
    path("register/import/", register_views.import_view, name="register-import"),
    path("register/import/template.xlsx", register_views.import_template_view, name="register-import-template"),
    path("register/import/<int:pk>/approve/", register_views.import_decide_view, name="register-import-approve"),
    path("staff/", register_views.staff_view, name="staff"),
    path("staff/members/<int:pk>/", register_views.staff_member_view, name="staff-member"),
    path("staff/<str:kind>/<int:pk>/", register_views.staff_view, name="staff-of"),
    path("invitations/<str:token>/", register_views.invitation_accept_view, name="invitation-accept"),
    path("password-reset/", register_views.password_reset_view, name="password-reset"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        success_url="/login/", post_reset_login=False), name="password-reset-confirm"),
    path("audit/", views.audit_list_view, name="audit-list"),
    path("inbox/", inbox.inbox_view, name="inbox"),
    path("inbox/read/", inbox.inbox_mark_read_view, name="inbox-read-all"),
    path("inbox/<int:pk>/read/", inbox.inbox_mark_read_view, name="inbox-read"),
]
