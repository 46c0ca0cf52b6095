from django.apps import AppConfig


class ToolsConfig(AppConfig):
    """`warmline demo` and `warmline bench`: the demo company and the benchmarks."""

    name = "warmline_tools"
    label = "warmline_tools"
    verbose_name = "Demo and benchmarks"

    def ready(self) -> None:
        from warmline_tools.bench.sections import sections_register

        sections_register()
