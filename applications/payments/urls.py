from django.urls import path

from applications.payments import views

urlpatterns = [
    path("antraege/<int:pk>/mittelabruf/", views.payments_page, name="payments"),
    path("antraege/<int:pk>/auszahlungen/<int:payment_pk>/verwendet/", views.payment_spent, name="payment_spent"),
]
