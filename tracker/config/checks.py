"""System checks of isotrack's own settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MESSAGE = (
    "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off: the development key is refused."
)


def development_key_in_production() -> bool:
    return (
        not settings.DEBUG
        and not settings.TESTING
        and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY
    )


@register(deploy=True)  # with the deploy checks, so makemigrations works without a key
def secret_key_check(app_configs, **kwargs) -> list[Error]:
    if development_key_in_production():
        return [Error(SECRET_KEY_MESSAGE, id="isotrack.E001")]
    return []


def refuse_development_key() -> None:
    """Called by the WSGI and ASGI entry points: production never serves with the dev key."""
    if development_key_in_production():
        raise ImproperlyConfigured(SECRET_KEY_MESSAGE)


@register(deploy=True)
def site_url_check(app_configs, **kwargs) -> list[Error]:
    """Emailed links need the site's public address: refused when missing or loopback."""
    from tracker.site_url import site_url_problem

    problem = site_url_problem()
    return [Error(problem, id="isotrack.E002")] if problem else []


@register()
def trusted_proxy_check(app_configs, **kwargs) -> list[Error]:
    if settings.TRUSTED_PROXY_COUNT < 0:
        return [Error("TRUSTED_PROXY_COUNT must be 0 or more.", id="isotrack.E003")]
    return []
