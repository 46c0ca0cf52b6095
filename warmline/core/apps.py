from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The base layer: small helpers, registries, base templates and static files. Imports
    no other Warmline app."""

    name = "warmline.core"
    label = "core"
