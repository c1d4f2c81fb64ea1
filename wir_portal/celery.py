"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly (settings.CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wir_portal.settings")

app = Celery("wir_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks.py, and the task modules of the rooms inside applications/ (one per capability).
app.autodiscover_tasks()
app.autodiscover_tasks(["applications.notices", "applications.payments", "applications.proof", "applications.revocation"])
app.autodiscover_tasks(["applications"], related_name="pdf_jobs")  # PDFs asked for on a page (issue 16)
