from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Anträge und Organisationen"

    def ready(self):
        from applications import signals as _queue_keys  # noqa: F401 - the queue's sort keys follow a line's order
        from applications.accounts.mfa import signals  # noqa: F401 - second factor: sign-in flag, passkey audit
        from funding.admin_paging import install_fast_action_checkbox

        install_fast_action_checkbox()  # every admin list's row checkbox without a template per row (issue 18)
