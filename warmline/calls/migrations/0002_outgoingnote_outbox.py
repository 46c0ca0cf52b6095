import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Notes go out through the alerts app's e-mail outbox: its row holds the delivery state
    (status, attempts, claim, last error) the note used to keep itself."""

    dependencies = [
        ("alerts", "0002_outbox_sender"),
        ("calls", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="outgoingnote", name="outgoingnote_status"),
        migrations.RemoveField(model_name="outgoingnote", name="status"),
        migrations.RemoveField(model_name="outgoingnote", name="attempts"),
        migrations.RemoveField(model_name="outgoingnote", name="claimed_at"),
        migrations.RemoveField(model_name="outgoingnote", name="last_error"),
        migrations.AddField(
            model_name="outgoingnote",
            name="outbox",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="outgoing_note",
                to="alerts.outboxmessage",
            ),
        ),
    ]
