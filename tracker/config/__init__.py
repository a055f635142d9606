"""Project configuration: settings, URLs, the WSGI and ASGI entry points, system checks."""
