"""Public pages (no login): what the Regulations require to be published, and nothing else."""

from django.urls import path

from . import public_views as views

urlpatterns = [
    path("", views.public_index, name="public-index"),
    path("enterprises/", views.public_enterprises, name="public-enterprises"),
    path("totals/", views.public_totals, name="public-totals"),
    path("penalties/", views.public_penalties, name="public-penalties"),
]
