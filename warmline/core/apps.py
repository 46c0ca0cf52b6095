from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared plumbing: base templates, static files, small view helpers, CLI commands."""

    name = "warmline.core"
    label = "core"

    def ready(self) -> None:
        from warmline.core.bench_registry import bench_section_register

        bench_section_register(
            name="core",
            title="Search, contact page and Today",
            run="warmline.core.bench:core_bench_section",
            order=0,
        )
