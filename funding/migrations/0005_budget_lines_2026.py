"""The programme lines as they run from 2026, for databases seeded before this change (fresh databases get them
from `manage.py seed`; on an empty database this does nothing).

- the funding period 2026–2030 and the lines WIR-Vielfaltszentren, Integrations- und Teilhabeprojekte, KIV, with
  their 2026 and 2027 rules; allocations 0 (Haushalt sets them: they are not published);
- Laiendolmetscher from 2026 open to Kommunen too, Migrantenorganisationen from 2026 to Kommunen in cooperation;
- the Migrantenorganisationen part-caps (3.000 € Mikroprojekt, 7.200 € Minijob a year) as data of every year;
- the years 2028–2030 without an enacted budget (volume 0), for commitment authority Haushalt sets.
Historic rules (2014–2025) are left as they were.
"""

import datetime
from decimal import Decimal

from django.db import migrations

THE_33 = ["landkreis", "kreisfreie_stadt", "sonderstatusstadt"]
MUNICIPAL = [*THE_33, "gemeinde"]
TRAEGER = ["kommunaler_traeger", "kirchlicher_traeger", "freier_traeger", "migrantenorganisation"]

LINES = {
    "vielfaltszentren": ("WIR-Vielfaltszentren", "VZ", 5),
    "integrationsprojekte": ("Integrations- und Teilhabeprojekte", "IP", 65),
    "kiv": ("Kommunale Vielfalts- und Integrationsstrategien (KIV)", "KV", 75),
}


def _rule(code, year, period):
    base = {"deadline": datetime.date(year - 1, 12, 31), "allocation": Decimal("0"), "limits": {},
            "cap_scope": "year", "conditions": ""}
    if code == "vielfaltszentren":
        base.update(eligible_kinds=THE_33, financing_type="fehlbedarf", cap_per_post=Decimal("60000"),
                    max_posts=Decimal("2"), limits={"staff_post": "20000", "micro_projects": "5000"}, max_months=60,
                    one_per_organisation=True, deadline=datetime.date(2025, 12, 31), funding_period=period,
                    required_attachments=["target_agreement", "concept", "job_description"])
    elif code == "integrationsprojekte":
        base.update(eligible_kinds=[*MUNICIPAL, *TRAEGER], financing_type="fehlbedarf",
                    required_attachments=["concept", "financial_plan"])
    else:
        base.update(eligible_kinds=["gemeinde"], financing_type="fehlbedarf", cap_per_application=Decimal("30000"),
                    cap_scope="application", max_months=18,
                    limits={"min_inhabitants": "10000", "max_inhabitants": "50000"},
                    required_attachments=["concept", "financial_plan"])
    return base


def forwards(apps, schema_editor):
    ProgrammeYear = apps.get_model("funding", "ProgrammeYear")
    FundingLine = apps.get_model("funding", "FundingLine")
    FundingPeriod = apps.get_model("funding", "FundingPeriod")
    LineRule = apps.get_model("funding", "LineRule")
    if not ProgrammeYear.objects.exists():
        return  # a fresh database: `manage.py seed` creates everything
    for year in range(2028, 2031):
        ProgrammeYear.objects.get_or_create(year=year, defaults={
            "volume": Decimal("0"), "is_open": False, "budget_enacted": False,
            "notes": "Haushalt noch nicht beschlossen: Bewilligungen zu Lasten dieses Jahres nur im Rahmen der "
                     "Verpflichtungsermächtigungen (§ 38 LHO).",
        })

    period, _ = FundingPeriod.objects.get_or_create(
        first_year=2026, last_year=2030, defaults={"name": "Förderperiode WIR-Vielfaltszentren"})
    for code, (name, short, order) in LINES.items():
        line, _ = FundingLine.objects.get_or_create(
            code=code, defaults={"name": name, "short": short, "order": order, "multi_year": True})
        for py in ProgrammeYear.objects.filter(year__gte=2026):
            if not LineRule.objects.filter(programme_year=py, line=line).exists():
                LineRule.objects.create(programme_year=py, line=line, **_rule(code, py.year, period))
    for rule in LineRule.objects.filter(line__code="migrantenorganisationen"):
        rule.limits = {"micro_project": "3000", "minijob": "7200", **(rule.limits or {})}
        if rule.programme_year.year >= 2026:
            rule.eligible_kinds = sorted({*rule.eligible_kinds, "migrantenorganisation", *MUNICIPAL})
        rule.save(update_fields=["limits", "eligible_kinds"])
    for rule in LineRule.objects.filter(line__code="laiendolmetscher", programme_year__year__gte=2026):
        rule.eligible_kinds = sorted({*rule.eligible_kinds, *MUNICIPAL})
        rule.save(update_fields=["eligible_kinds"])

class Migration(migrations.Migration):
    dependencies = [("funding", "0004_budget_ve_periods")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
