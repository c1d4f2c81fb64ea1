from django.urls import path

from . import views_accounts as views

urlpatterns = [
    path("registrieren/", views.register, name="register"),
]
