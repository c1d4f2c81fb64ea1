from django.urls import path

from applications.proof import views

urlpatterns = [
    path("antraege/<int:pk>/verwendungsnachweis/", views.proof_overview, name="proof"),
    path("antraege/<int:pk>/verwendungsnachweis/belege/", views.proof_expenses, name="proof_expenses"),
    path("antraege/<int:pk>/verwendungsnachweis/belege/import/", views.proof_import, name="proof_import"),
    path("antraege/<int:pk>/verwendungsnachweis/belege/<int:expense_pk>/loeschen/", views.proof_expense_delete,
         name="proof_expense_delete"),
    path("antraege/<int:pk>/verwendungsnachweis/<int:proof_pk>/", views.proof_report, name="proof_report"),
    path("antraege/<int:pk>/verwendungsnachweis/<int:proof_pk>/einreichen/", views.proof_submit, name="proof_submit"),
    path("antraege/<int:pk>/verwendungsnachweis/<int:proof_pk>/unterlagen/", views.proof_upload, name="proof_upload"),
    path("antraege/<int:pk>/verwendungsnachweis/unterlagen/<int:doc_pk>/", views.proof_document,
         name="proof_document"),
]
