from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """The one way anything alerts a person: in-app (SSE), e-mail and SMS, with an outbox
    written in the cause's transaction and an escalation ladder. Knows users and the
    relationship memory, never the cause of an alert."""

    name = "warmline.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from django.conf import settings

        from warmline.alerts import services
        from warmline.core.periodic import periodic_register

        periodic_register(
            name="alerts.outbox_dispatch_due",
            every_seconds=settings.ALERT_DISPATCH_EVERY_SECONDS,
            func=services.outbox_dispatch_due,
        )
        periodic_register(
            name="alerts.live_event_prune",
            every_seconds=3600,
            func=services.live_event_prune,
        )
