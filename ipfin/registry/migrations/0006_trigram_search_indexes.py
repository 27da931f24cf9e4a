"""The public query's substring search served by indexes on PostgreSQL: trigram GIN indexes
(pg_trgm) on the upper-cased number, publication number, title, mark and owner name, the very
expressions Django's `icontains` compares (UPPER(col::text) LIKE UPPER(…)), so that a search of
the whole register (30 million rights) reads index entries, not every row (proven by EXPLAIN in
ipfin/registry/tests/test_query_plans.py). Nothing on SQLite, which has no such index: the
embedded register is a province's at most."""

from django.db import migrations

# (index, table, column, the rows indexed): an owner's name only while the owner holds the right,
# as the public query searches it.
_INDEXES = (
    ("registry_right_number_trgm", "registry_right", "number", ""),
    ("registry_right_publication_trgm", "registry_right", "publication_no", ""),
    ("registry_right_title_trgm", "registry_right", "title", ""),
    ("registry_right_mark_trgm", "registry_right", "mark_text", ""),
    ("registry_rightowner_name_trgm", "registry_rightowner", "name", "WHERE valid_to IS NULL"),
)


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column, rows in _INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops) {rows}"
        )


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column, _rows in _INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_applicant_facts_and_backward_citations")]

    operations = [migrations.RunPython(_create, _drop)]
