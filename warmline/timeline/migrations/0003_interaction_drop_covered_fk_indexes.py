"""Drop the single-column indexes of contact, account and author: each column leads a
composite index already. Only the indexes go: Django's AlterField would rebuild the whole
timeline table on SQLite and re-check every foreign key on PostgreSQL."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


COVERED = {
    "timeline_interaction_contact_id_8c3c6744": "contact_id",
    "timeline_interaction_account_id_4c72a9a6": "account_id",
    "timeline_interaction_author_id_558fc8d2": "author_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_contact_reconnect_indexes"),
        ("timeline", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "timeline_interaction" ("{column}")',
                )
                for name, column in COVERED.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="account",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="interactions",
                        to="people.account",
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="author",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="interactions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="interaction",
                    name="contact",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="interactions",
                        to="people.contact",
                    ),
                ),
            ],
        ),
    ]
