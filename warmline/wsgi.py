"""WSGI entry point, for tools that want one; production serves ASGI through uvicorn.

Refuses to start, with a one-line message, on a missing SECRET_KEY unless DEBUG is on.
"""

import os

from django.core.wsgi import get_wsgi_application

from warmline.core.secret_key import secret_key_exit_if_public

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warmline.settings")

application = get_wsgi_application()
secret_key_exit_if_public()
