from django.apps import AppConfig


class TimelineConfig(AppConfig):
    """The append-only record of every touch between the company and a contact."""

    name = "warmline.timeline"
    label = "timeline"
    verbose_name = "Timeline"
