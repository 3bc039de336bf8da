from django.urls import path

from . import views

app_name = "allocations"

urlpatterns = [
    path("plans/", views.plan_list_view, name="plan-list"),
    path("plans/new/", views.plan_create_view, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail_view, name="plan-detail"),
    path("batches/", views.batch_list_view, name="batch-list"),
    path("batches/new/", views.batch_create_view, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail_view, name="batch-detail"),
    path("batches/<int:pk>/lines/", views.batch_line_add_view, name="batch-line-add"),
    path("batches/<int:pk>/lines/<int:line_pk>/remove/", views.batch_line_remove_view, name="batch-line-remove"),
    path("batches/<int:pk>/notice/", views.batch_notice_view, name="batch-notice"),
    path("batches/<int:pk>/notice.pdf", views.batch_notice_pdf_view, name="batch-notice-pdf"),
    path("balance/", views.balance_view, name="balance"),
    path("breakdowns/", views.breakdown_list_view, name="breakdown-list"),
    path("breakdowns/line/<int:line_pk>/", views.breakdown_file_view, name="breakdown-file"),
    path("breakdowns/<int:pk>/", views.breakdown_detail_view, name="breakdown-detail"),
    path("quotas/", views.quota_list_view, name="quota-list"),
    path("adjustments/", views.adjustment_list_view, name="adjustment-list"),
]
