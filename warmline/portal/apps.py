from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The public site: products, news, magic-link identification and "Ask my rep"."""

    name = "warmline.portal"
    label = "portal"
    verbose_name = "Public portal"

    def ready(self) -> None:
        from warmline.alerts.hooks import alert_ack_hook_register
        from warmline.people.panels import contact_panel_register
        from warmline.portal import reasons, today
        from warmline.portal.services import question_alert_acknowledged

        today.register()
        reasons.register()
        contact_panel_register(
            key="questions",
            label="Questions from the portal",
            url_name="contact-questions",
            order=10,
        )
        # Acknowledging a question's alert (toast, alerts list) acknowledges the question.
        alert_ack_hook_register(kind="question", hook=question_alert_acknowledged)
