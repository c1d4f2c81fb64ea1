from django.urls import path

from applications.revocation import views

urlpatterns = [
    path("antraege/<int:pk>/widerrufsverfahren/", views.proceedings_page, name="revocations"),
    path("antraege/<int:pk>/widerrufsverfahren/<int:rv_pk>/stellungnahme/", views.answer,
         name="revocation_answer"),
    path("antraege/<int:pk>/widerrufsverfahren/<int:rv_pk>/unterlagen/<int:doc_pk>/", views.document,
         name="revocation_document"),
]
