"""Indexes for the call queue's reconnect slices (warmline/calls/providers.py).

* `contact_owner_touch_nf`: the slices read a book oldest touch first with never-touched
  contacts before everyone else (`ORDER BY last_touch_at ASC NULLS FIRST`). SQLite sorts
  NULLs first anyway, so `contact_owner_touch` serves it; PostgreSQL sorts them last and
  needs an index built in that order, or it sorts the whole book on every card. SQLite
  cannot declare NULLS FIRST in an index, hence PostgreSQL only.
* `contact_owner_cadence`: the few contacts with their own cadence, so finding the distinct
  cadences of a book reads a handful of index entries instead of the whole book.
"""

from django.db import migrations, models

NULLS_FIRST_INDEX = "contact_owner_touch_nf"


def nulls_first_index_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{NULLS_FIRST_INDEX}" ON "people_contact" '
            '("owner_id", "last_touch_at" ASC NULLS FIRST, "id")'
        )


def nulls_first_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{NULLS_FIRST_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_contact_search_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                condition=models.Q(reconnect_days__isnull=False),
                fields=["owner", "reconnect_days"],
                name="contact_owner_cadence",
            ),
        ),
        migrations.RunPython(nulls_first_index_create, nulls_first_index_drop, elidable=False),
    ]
