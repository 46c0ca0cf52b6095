from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="from_email",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="reply_to",
            field=models.CharField(blank=True, max_length=254),
        ),
    ]
