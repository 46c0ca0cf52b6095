"""ASGI entry point (uvicorn warmline.asgi:application).

Refuses to start, with a one-line message, on a missing SECRET_KEY unless DEBUG is on.
"""

import os

from django.core.asgi import get_asgi_application

from warmline.core.secret_key import secret_key_exit_if_public

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmline.settings")

application = get_asgi_application()
secret_key_exit_if_public()
