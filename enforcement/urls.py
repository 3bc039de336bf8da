from django.urls import path

from . import procedure_views, views

app_name = "enforcement"

urlpatterns = [
    path("flags/", views.flag_list_view, name="flag-list"),
    path("flags/<int:pk>/resolve/", views.flag_resolve_view, name="flag-resolve"),
    path("cases/", views.case_list_view, name="case-list"),
    path("cases/new/", views.case_new_view, name="case-new"),
    path("cases/<int:pk>/", views.case_detail_view, name="case-detail"),
    path("cases/<int:pk>/penalty-check/", views.penalty_check_view, name="penalty-check"),
    path("cases/<int:pk>/attachments/<int:att>/", views.statement_attachment_view, name="statement-attachment"),
    path("cases/<int:pk>/decision/", procedure_views.decision_view, name="decision"),
    path("cases/<int:pk>/decision.pdf", procedure_views.decision_pdf_view, name="decision-pdf"),
    path("cases/<int:pk>/procedure/<slug:verb>/", procedure_views.procedure_action_view, name="procedure"),
    path("cases/<int:pk>/<slug:action>/", views.case_action_view, name="case-action"),
    path("rules/", views.rule_list_view, name="rule-list"),
    path("jobs/", views.job_list_view, name="job-list"),
    path("jobs/run/", views.job_run_view, name="job-run"),
    path("jobs/<int:pk>/progress/", views.job_progress_view, name="job-progress"),
]
