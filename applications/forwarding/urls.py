from django.urls import path

from applications.forwarding import views

urlpatterns = [
    path("antraege/<int:pk>/weiterleitung/", views.forwarding_page, name="forwarding"),
    path("antraege/<int:pk>/weiterleitung/<int:forwarding_pk>/loeschen/", views.forwarding_delete,
         name="forwarding_delete"),
]
