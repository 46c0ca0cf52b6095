from django.apps import AppConfig


class ServiceConfig(AppConfig):
    """C3: service cases on the rep's dashboard, with SLA escalation."""

    name = "warmline.service"
    label = "service"
    verbose_name = "Service cases"

    def ready(self) -> None:
        from django.conf import settings

        from warmline.alerts.hooks import alert_ack_hook_register
        from warmline.core.periodic import periodic_register
        from warmline.core.registries.api_scopes import scope_register
        from warmline.core.registries.start_pages import start_page_register
        from warmline.people.panels import contact_panel_register
        from warmline.service import reasons, sections
        from warmline.service.escalation import sla_pass_run
        from warmline.service.services import case_alert_acknowledged
        from warmline.users.models import Role

        sections.register()
        # Service agents work from the case list.
        start_page_register(role=Role.AGENT, url_name="case-list")
        reasons.register()
        contact_panel_register(
            key="cases", label="Open service cases", url_name="contact-cases", order=20
        )
        # Acknowledging a case's SLA alert (toast, alerts list) acknowledges the case.
        alert_ack_hook_register(kind="case_sla", hook=case_alert_acknowledged)
        scope_register(name="service:read", description="read the cases the owner may see")
        scope_register(
            name="service:write",
            description="create and update cases (API and service-desk webhook)",
        )
        periodic_register(
            name="service.sla_pass",
            every_seconds=float(settings.SERVICE_SLA_PASS_SECONDS),
            func=sla_pass_run,
        )
