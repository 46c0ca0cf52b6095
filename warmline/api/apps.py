from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API: one NinjaAPI at /api/ (OpenAPI docs at /api/docs), bearer-token auth
    and one error shape. Each feature app brings a ninja Router; `api.py` mounts them."""

    name = "warmline.api"
    label = "api"
    verbose_name = "API"
