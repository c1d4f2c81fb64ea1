"""Audit trail of second factors: who enrolled, removed or reset which factor of whom, and why.

Entries keep snapshots of the names and survive the deletion of either person (SET_NULL, never CASCADE)."""

from django.conf import settings
from django.db import models


class FactorAction(models.TextChoices):
    ENROLLED = "enrolled", "Faktor eingerichtet"
    REMOVED = "removed", "Faktor entfernt"
    BACKUP_CODES = "backup_codes", "Backup-Codes neu erzeugt"
    RESET = "reset", "Alle Faktoren zurückgesetzt (Geräteverlust)"
    DEMO = "demo", "Demo-Faktor angelegt (nur Entwicklung)"


class FactorEvent(models.Model):
    created_at = models.DateTimeField("Zeitpunkt", auto_now_add=True, db_index=True)
    action = models.CharField("Vorgang", max_length=20, choices=FactorAction.choices)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="betroffene Person", null=True,
                                on_delete=models.SET_NULL, related_name="+")
    subject_name = models.CharField("betroffene Person (Name)", max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="durch", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField("durch (Name)", max_length=300, blank=True)
    factor = models.CharField("Faktor", max_length=200, blank=True)
    reason = models.TextField("Begründung", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "Protokoll zweiter Faktor"
        verbose_name_plural = "Protokoll zweiter Faktor"

    def __str__(self):
        return f"{self.created_at:%d.%m.%Y %H:%M} {self.get_action_display()}: {self.subject_name}"
