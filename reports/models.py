"""Background jobs that render the yearly programme report as PDF (status and progress polled by the page)."""

import secrets

from django.conf import settings
from django.db import models


def report_path(instance, filename: str) -> str:
    return f"reports/{instance.created_at:%Y}/{secrets.token_hex(16)}.pdf"


class ReportJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "In der Warteschlange"
        RUNNING = "running", "Wird erstellt"
        DONE = "done", "Fertig"
        FAILED = "failed", "Fehlgeschlagen"

    year_from = models.PositiveIntegerField("Von Jahr")
    year_to = models.PositiveIntegerField("Bis Jahr")
    filters = models.JSONField("Filter", default=dict, blank=True)
    status = models.CharField("Status", max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField("Fortschritt in %", default=0)
    message = models.CharField("Meldung", max_length=300, blank=True)
    file = models.FileField("PDF", upload_to=report_path, max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                   verbose_name="Angefordert von")
    created_at = models.DateTimeField("Angefordert am", auto_now_add=True)
    finished_at = models.DateTimeField("Fertig am", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Berichtsauftrag (PDF)"
        verbose_name_plural = "Berichtsaufträge (PDF)"
        constraints = [
            models.CheckConstraint(condition=models.Q(year_from__lte=models.F("year_to")), name="reportjob_year_range"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="reportjob_progress_max"),
        ]

    def __str__(self) -> str:
        span = str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}–{self.year_to}"
        return f"Programmbericht {span} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.State.DONE, self.State.FAILED)

    @property
    def download_name(self) -> str:
        span = str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}-{self.year_to}"
        return f"WIR-Programmbericht-{span}.pdf"
