"""The work queue's order as a partial index without drafts (PostgreSQL only; a no-op on SQLite).

The admin queue is `status <> 'draft' ORDER BY submitted_at DESC, id DESC`. Drafts have no submitted_at, and
PostgreSQL sorts NULLs first in DESC order, so the first page walked ~1,200 draft entries of
application_submitted_desc before its 50th row (100k data set: 2.0 -> 0.4 ms execution). The index matches the
queue's WHERE, so the planner takes it for every queue page sorted by the default order. Not in the model's
Meta.indexes: the model state stays as it is (models.py belongs to the whole app, and Django has no portable
partial-index-with-NOT for SQLite worth keeping in the state for one planner hint).
"""

from django.db import migrations

INDEX = "application_queue_order"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "applications_application" '
        "(\"submitted_at\" DESC, \"id\" DESC) WHERE NOT (\"status\" = 'draft')"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0006_h7_submitted_index"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
