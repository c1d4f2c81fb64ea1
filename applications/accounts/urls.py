from django.urls import path

from applications.accounts import views

urlpatterns = [
    path("registrieren/", views.register, name="register"),
    path("registrieren/gesendet/", views.register_done, name="register-done"),
    path("registrieren/neuer-link/", views.register_resend, name="register-resend"),
    path("registrieren/bestaetigen/<str:token>/", views.register_confirm, name="register-confirm"),
    path("einladung/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("organisation/wechseln/", views.organisation_switch, name="organisation-switch"),
    path("organisation/<int:org_id>/mitglieder/", views.members, name="members"),
    path("organisation/<int:org_id>/mitglieder/<int:member_id>/rolle/", views.member_role, name="member-role"),
    path("organisation/<int:org_id>/mitglieder/<int:member_id>/entfernen/", views.member_remove, name="member-remove"),
    path("organisation/<int:org_id>/einladungen/<int:invitation_id>/zurueckziehen/", views.invitation_revoke,
         name="invitation-revoke"),
]
