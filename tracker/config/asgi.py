"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")

application = get_asgi_application()

from tracker.config.checks import refuse_development_key  # noqa: E402

refuse_development_key()
