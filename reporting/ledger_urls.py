from django.urls import path

from . import ledger_views as views

app_name = "ledger"

urlpatterns = [
    path("", views.ledger_list_view, name="list"),
    path("declare/", views.ledger_declare_view, name="declare"),
    path("import/", views.ledger_import_view, name="import"),
    path("fill/<int:pk>/", views.ledger_fill_report_view, name="fill"),
    path("<int:pk>/", views.ledger_detail_view, name="detail"),
    path("<int:pk>/trace/", views.ledger_trace_view, name="trace"),
]
