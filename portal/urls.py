from django.urls import path

from . import views

urlpatterns = [
    path("early-warning/", views.early_warning_view, name="early-warning"),
]
