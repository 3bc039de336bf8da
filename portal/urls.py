from django.urls import path

from . import annual_views, views

urlpatterns = [
    path("early-warning/", views.early_warning_view, name="early-warning"),
    path("annual-overview/", annual_views.annual_overview_view, name="annual-overview"),
    path("annual-overview.pdf", annual_views.annual_overview_pdf_view, name="annual-overview-pdf"),
    path("publications/publish/", annual_views.publish_view, name="publish"),
]
