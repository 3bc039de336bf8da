from django.urls import path

from . import annual_views, views

app_name = "reporting"

urlpatterns = [
    path("", views.report_list_view, name="list"),
    path("new/", views.report_new_view, name="new"),
    path("template.xlsx", views.template_view, name="template"),
    path("summaries/", views.summary_view, name="summaries"),
    path("certification/", views.certification_view, name="certification"),
    path("attachments/<int:pk>/", views.attachment_download_view, name="attachment"),
    path("annual/", annual_views.annual_list_view, name="annual-list"),
    path("annual/new/", annual_views.annual_new_view, name="annual-new"),
    path("annual/<int:pk>/", annual_views.annual_detail_view, name="annual-detail"),
    path("annual/<int:pk>/<str:verb>/", annual_views.annual_action_view, name="annual-action"),
    path("year-end/", annual_views.year_end_view, name="year-end"),
    path("overdue-reviews/", views.overdue_reviews_view, name="overdue-reviews"),
    path("corrections/<int:pk>/<str:verb>/", views.correction_action_view, name="correction"),
    path("<int:pk>/", views.report_detail_view, name="detail"),
    path("<int:pk>/edit/", views.report_edit_view, name="edit"),
    path("<int:pk>/edit/row/<str:section>/", views.report_row_view, name="row"),
    path("<int:pk>/attachments/", views.report_attach_view, name="attach"),
    path("<int:pk>/upload/", views.report_upload_view, name="upload"),
    path("<int:pk>/diff/", views.report_diff_view, name="diff"),
    path("<int:pk>/export.xlsx", views.report_export_view, name="export"),
    path("<int:pk>/<str:verb>/", views.report_action_view, name="action"),
]
