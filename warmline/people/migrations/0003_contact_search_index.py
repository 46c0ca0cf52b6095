"""Search uses what each engine offers: an FTS5 trigram index (SQLite 3.34+) or pg_trgm's
GIN trigram index (PostgreSQL) on people_contact.search_text. See
warmline/people/search_index.py; other engines keep the plain LIKE scan."""

from django.db import migrations


def forwards(apps, schema_editor):
    from warmline.people.search_index import search_index_ensure

    search_index_ensure(connection=schema_editor.connection)


def backwards(apps, schema_editor):
    from warmline.people.search_index import search_index_drop

    search_index_drop(connection=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
