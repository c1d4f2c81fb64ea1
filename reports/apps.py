from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Programmberichte"

    def ready(self):
        from applications.models import Application, Organisation
        from funding.figures_cache import watch

        # Applications (status, dates, amounts, rule) and organisations (region, kind) are counted by the reports;
        # the funding app cannot watch them itself (it imports nothing from the other apps).
        watch(Application, Organisation)
