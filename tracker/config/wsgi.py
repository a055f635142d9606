"""WSGI entry point: ``gunicorn tracker.config.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.config.settings")

application = get_wsgi_application()

from tracker.config.checks import refuse_development_key  # noqa: E402

refuse_development_key()
