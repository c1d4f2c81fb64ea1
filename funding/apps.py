from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Programm und Haushalt"

    def ready(self):
        from .figures_cache import watch
        from .models import District, FundingLine, FundingPeriod, LedgerEntry, LineRule, ProgrammeYear

        # Every row the budget overview and the reports are computed from: a committed change raises the version
        # their cached figures are keyed by.
        watch(LedgerEntry, LineRule, ProgrammeYear, FundingLine, District, FundingPeriod)
