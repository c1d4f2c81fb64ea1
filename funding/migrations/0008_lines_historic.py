"""Historic lines only for the years they existed (issue 12), for databases seeded before this change (a fresh
database gets the same from `manage.py seed`; on an empty database this does nothing but add the field).

- Koordination and Fallmanagement end with 2020: the guideline renewed at the start of 2021 bundled them into the
  WIR-Vielfaltszentren. MitSprache, the Sprachkurse and the WIR-Projekte end with 2025: they are not lines of the
  programme as it runs from 2026 (no public source dates their end earlier; they stay for 2014–2025 reporting).
- A rule of such a line in a later year is deleted when nothing refers to it (no application, no ledger row).
  Otherwise it is *closed* (`accepts_applications = False`): no new application and no submission of a draft;
  what was submitted or approved on it stays and is decided, paid and reported as before — deleting it would
  orphan applications and ledger rows, which are never deleted.
- The WIR-Vielfaltszentren get their yearly rules 2021–2025 (historic, one-year notices, Mitarbeitsstelle and
  Mikroprojekte from 2022); each takes over the allocation of the Koordination and Fallmanagement rules of that
  year that were deleted. From 2026 the Integrations- und Teilhabeprojekte take over the allocation of a deleted
  WIR-Projekte rule of the same year. What the other deleted rules held (Koordination and Fallmanagement from 2026 —
  the Vielfaltszentren have their own figure —, MitSprache, Sprachkurse) stays unallocated for Haushalt.
  A year's total allocation never grows. (The seed computes the same for a fresh database.)
"""

import datetime
from decimal import Decimal

from django.db import migrations, models, transaction
from django.db.models.deletion import ProtectedError

LAST_YEARS = {"koordination": 2020, "fallmanagement": 2020, "mitsprache": 2025, "sprachkurse": 2025, "projekte": 2025}
BUNDLED = ("koordination", "fallmanagement")
THE_33 = ["landkreis", "kreisfreie_stadt", "sonderstatusstadt"]


def _centre_rule(year):
    values = {"eligible_kinds": THE_33, "financing_type": "fehlbedarf", "cap_per_post": Decimal("60000"),
              "max_posts": Decimal("2"), "max_months": 12, "one_per_organisation": True, "cap_scope": "year",
              "deadline": datetime.date(year - 1, 12, 31), "limits": {}, "conditions": "",
              "required_attachments": ["target_agreement", "concept", "job_description"]}
    if year >= 2022:
        values["limits"] = {"staff_post": "20000", "micro_projects": "5000"}
    return values


def forwards(apps, schema_editor):
    ProgrammeYear = apps.get_model("funding", "ProgrammeYear")
    FundingLine = apps.get_model("funding", "FundingLine")
    LineRule = apps.get_model("funding", "LineRule")
    LedgerEntry = apps.get_model("funding", "LedgerEntry")
    Application = apps.get_model("applications", "Application")
    if not ProgrammeYear.objects.exists():
        return  # a fresh database: `manage.py seed` creates everything
    freed: dict[int, Decimal] = {}
    for code, last in LAST_YEARS.items():
        for rule in LineRule.objects.filter(line__code=code, programme_year__year__gt=last).select_related(
                "programme_year"):
            used = (Application.objects.filter(rule_id=rule.pk).exists()
                    or LedgerEntry.objects.filter(rule_id=rule.pk).exists())
            if not used:
                try:
                    with transaction.atomic():
                        rule.delete()
                except ProtectedError:
                    used = True  # something else refers to it: keep it, closed
                else:
                    year = rule.programme_year.year
                    if code in BUNDLED and year <= 2025:
                        freed[year] = freed.get(year, Decimal("0")) + rule.allocation
                    elif code == "projekte":
                        LineRule.objects.filter(line__code="integrationsprojekte", programme_year__year=year).update(
                            allocation=models.F("allocation") + rule.allocation)
                    continue
            rule.accepts_applications = False
            rule.save(update_fields=["accepts_applications"])
    centres = FundingLine.objects.filter(code="vielfaltszentren").first()
    if centres is None:
        return
    for py in ProgrammeYear.objects.filter(year__gte=2021, year__lte=2025):
        if not LineRule.objects.filter(programme_year=py, line=centres).exists():
            LineRule.objects.create(programme_year=py, line=centres, allocation=freed.get(py.year, Decimal("0")),
                                    **_centre_rule(py.year))


class Migration(migrations.Migration):

    dependencies = [
        ("funding", "0007_payments_retention"),
        ("applications", "0019_merge_outbox"),  # Application, to see whether a rule is in use
    ]

    operations = [
        migrations.AddField(
            model_name="linerule",
            name="accepts_applications",
            field=models.BooleanField(default=True, help_text="Aus: keine neuen Anträge und keine Einreichung von Entwürfen mehr (z. B. ein Förderbereich, den es in diesem Jahr nicht mehr gibt); eingereichte und bewilligte Anträge werden weiter bearbeitet.", verbose_name="Neue Anträge möglich"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
