"""Trigram indexes for the admin search (PostgreSQL only; a no-op on SQLite).

The admin resolves organisation names to ids first (UPPER(name) LIKE UPPER('%term%'), which is what Django's
icontains emits on PostgreSQL), and matches titles the same way; a GIN index with gin_trgm_ops on those
expressions lets PostgreSQL answer without scanning the table. File numbers use the btree (varchar_pattern_ops)
index Django already creates for the unique field, by prefix.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("applications_organisation_name_trgm", "applications_organisation", "name"),
    ("applications_application_title_trgm", "applications_application", "title"),
]


class KeepTrigramExtension(TrigramExtension):
    """CREATE EXTENSION pg_trgm (skipped on SQLite by Django); never dropped on the way back (others may use it)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0003_h5_notice_claimed_at"),
    ]

    operations = [
        KeepTrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
