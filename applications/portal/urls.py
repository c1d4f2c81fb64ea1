from django.urls import path

from applications.portal import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("antraege/neu/<slug:code>/", views.application_new, name="application_new"),
    path("antraege/<int:pk>/", views.application_detail, name="application_detail"),
    path("antraege/<int:pk>/bearbeiten/", views.application_edit, name="application_edit"),
    path("antraege/<int:pk>/anlagen/", views.application_attachments, name="application_attachments"),
    path("antraege/<int:pk>/einreichen/", views.application_submit, name="application_submit"),
    path("antraege/<int:pk>/zurueckziehen/", views.application_withdraw, name="application_withdraw"),
    path("antraege/<int:pk>/folgeantrag/", views.application_follow_up, name="application_follow_up"),
    path("antraege/<int:pk>/nachricht/", views.message_reply, name="message_reply"),
    path("antraege/<int:pk>/antrag.pdf", views.application_pdf, name="application_pdf"),
    path("anlagen/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("anlagen/<int:pk>/loeschen/", views.attachment_delete, name="attachment_delete"),
    path("bescheide/<int:pk>/", views.notice_download, name="notice_download"),
]
