from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    """The base layer: small helpers, registries, base templates and static files. Imports
    no other Warmline app."""

    name = "warmline.core"
    label = "core"

    def ready(self) -> None:
        from warmline.core.secret_key import secret_key_check

        checks.register(secret_key_check, checks.Tags.security, deploy=True)
