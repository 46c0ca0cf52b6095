from django.apps import AppConfig


class ServiceConfig(AppConfig):
    """C3: service cases on the rep's dashboard, with SLA escalation."""

    name = "warmline.service"
    label = "service"
    verbose_name = "Service cases"

    def ready(self) -> None:
        from django.conf import settings

        from warmline.alerts.hooks import alert_ack_hook_register
        from warmline.api.scopes import scope_register
        from warmline.core.bench_registry import bench_section_register
        from warmline.core.demo_registry import demo_extension_register
        from warmline.core.periodic import periodic_register
        from warmline.people.panels import contact_panel_register
        from warmline.service import demo, reasons, sections
        from warmline.service.escalation import sla_pass_run
        from warmline.service.services import case_alert_acknowledged

        sections.register()
        reasons.register()
        contact_panel_register(
            key="cases", label="Open service cases", url_name="contact-cases", order=20
        )
        # Acknowledging a case's SLA alert (toast, alerts list) acknowledges the case.
        alert_ack_hook_register(kind="case_sla", hook=case_alert_acknowledged)
        demo_extension_register(name="service", load=demo.service_demo_load)
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
        bench_section_register(
            name="service",
            title="Service cases: SLA scheduler and Today",
            run="warmline.service.bench:service_bench_section",
        )
