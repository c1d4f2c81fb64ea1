from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("verlauf/", views.trend, name="trend"),
    path("regionen/", views.regions, name="regions"),
    path("auszahlungen/", views.cash_flow_page, name="cash_flow"),
    path("verwendungsnachweise/", views.proofs_page, name="proofs"),
    path("export/<slug:dataset>.<slug:fmt>", views.export, name="export"),
    path("pdf/", views.pdf_jobs, name="pdf_jobs"),
    path("pdf/neu/", views.pdf_create, name="pdf_create"),
    path("pdf/<int:pk>/", views.pdf_job, name="pdf_job"),
    path("pdf/<int:pk>/status", views.pdf_status, name="pdf_status"),
    path("pdf/<int:pk>/download", views.pdf_download, name="pdf_download"),
]
