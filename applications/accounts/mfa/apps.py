from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "applications.accounts.mfa"
    label = "mfa"
    verbose_name = "Zweiter Faktor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401 - connects user_logged_in
