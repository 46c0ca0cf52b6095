from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    """Shared plumbing: base templates, static files, small view helpers, CLI commands."""

    name = "warmline.core"
    label = "core"

    def ready(self) -> None:
        from warmline.core.secret_key import secret_key_check

        checks.register(secret_key_check, checks.Tags.security, deploy=True)

        from warmline.core.bench_registry import bench_section_register

        bench_section_register(
            name="core",
            title="Search, contact page and Today",
            run="warmline.core.bench:core_bench_section",
            order=0,
        )
