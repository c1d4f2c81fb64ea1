"""Split "kommunaler Träger" by legal form: Gebietskörperschaften get theirs from their kind; municipal Träger are
classified from their name where it says what they are (Zweckverband, gGmbH, e. V., AöR ...). Those it cannot tell
stay empty: staff must set the legal form before an approval (ANBest-GK or -P depends on it)."""

from django.db import migrations, models

GK_KINDS = ("landkreis", "kreisfreie_stadt", "sonderstatusstadt", "gemeinde")

# (substring of the lower-cased name, legal form), first match wins
NAME_HINTS = [
    ("zweckverband", "gemeindeverband"),
    ("gemeindeverband", "gemeindeverband"),
    ("verbandsgemeinde", "gemeindeverband"),
    ("ggmbh", "gmbh"),
    ("gmbh", "gmbh"),
    (" ag", "gmbh"),
    ("eigenbetrieb", "eigenbetrieb"),
    ("regiebetrieb", "eigenbetrieb"),
    ("aör", "anstalt"),
    ("anstalt des öffentlichen rechts", "anstalt"),
    ("e. v.", "verein"),
    ("e.v.", "verein"),
    ("stiftung", "stiftung"),
]


def legal_form_for(kind: str, name: str) -> str:
    if kind in GK_KINDS:
        return "gebietskoerperschaft"
    lowered = f" {name.lower()} "
    for hint, form in NAME_HINTS:
        if hint in lowered:
            return form
    if kind == "migrantenorganisation":
        return "verein"
    if kind == "kirchlicher_traeger":
        return "kirche"
    return ""


def forwards(apps, schema_editor):
    Organisation = apps.get_model("applications", "Organisation")
    changed = []
    for org in Organisation.objects.filter(legal_form="").only("id", "kind", "name").iterator(chunk_size=2000):
        form = legal_form_for(org.kind, org.name)
        if form:
            org.legal_form = form
            changed.append(org)
        if len(changed) >= 2000:
            Organisation.objects.bulk_update(changed, ["legal_form"])
            changed = []
    if changed:
        Organisation.objects.bulk_update(changed, ["legal_form"])
    # Notices sent before: the first sending we know of is the last recorded one (a resend overwrote it).
    Notice = apps.get_model("applications", "Notice")
    Notice.objects.filter(first_sent_at__isnull=True, sent_at__isnull=False).update(first_sent_at=models.F("sent_at"))


class Migration(migrations.Migration):
    dependencies = [("applications", "0010_decide_decisions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
