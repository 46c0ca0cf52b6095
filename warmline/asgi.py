"""ASGI entry point (uvicorn warmline.asgi:application)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmline.settings")

application = get_asgi_application()
