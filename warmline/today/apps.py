from django.apps import AppConfig


class TodayConfig(AppConfig):
    """The rep's *Today* page: a list of sections that feature apps register into."""

    name = "warmline.today"
    label = "today"

    def ready(self) -> None:
        from warmline.today import sections

        sections.register_builtin()
