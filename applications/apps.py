from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Anträge und Organisationen"

    def ready(self):
        from applications.accounts.mfa import signals  # noqa: F401 - second factor: sign-in flag, passkey audit
