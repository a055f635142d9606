"""Where a ``next=`` parameter may send the browser: a path on this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme


def relative_path(url: object) -> str | None:
    """``url`` if it is a path on this site ("/patients/?q=x"), else None.

    Refused: absolute URLs (even to this host), scheme-relative "//host", "/\\host" (browsers
    read a backslash as a slash), other schemes ("javascript:"), and control characters
    (browsers drop tabs and newlines, so "/\\t/host" would become "//host").
    """
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
        return None
    if "\\" in url or any(ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    # Django's own test as well, with no host allowed: only relative URLs pass it.
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else None


class RelativeRedirectMixin:
    """For Django's ``RedirectURLMixin`` views (login, logout): ``next`` is followed only when
    it is a path on this site. Django's own check also accepts absolute URLs to this host."""

    redirect_field_name = "next"

    def get_redirect_url(self, request=None) -> str:
        request = request or self.request
        value = request.POST.get(
            self.redirect_field_name, request.GET.get(self.redirect_field_name)
        )
        return relative_path(value) or ""
