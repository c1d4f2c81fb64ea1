from django.urls import path

from . import views

app_name = "mfa"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("bestaetigen/", views.verify, name="verify"),
    path("authenticator-app/", views.totp_setup, name="totp-setup"),
    path("passkey-eingerichtet/", views.passkey_registered, name="passkey-registered"),
    path("backup-codes/", views.backup_codes, name="backup-codes"),
    path("entfernen/<str:kind>/<int:pk>/", views.remove, name="remove"),
]

