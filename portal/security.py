"""Response headers that every answer carries (what a browser may load, frame and send on),
and where the portal may send a browser next."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, request


# Everything comes from the portal itself: no inline script or style (htmx is configured by a
# <meta> tag and told not to inject its indicator styles), no frames, no plugins.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register_security_headers(app: Flask) -> None:
    """Add HEADERS to every response, error pages and static files included."""

    @app.after_request
    def _security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            # Production runs behind TLS only: tell browsers never to try plain http.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages carry personal health data: no shared cache may keep them.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def safe_next(target: str | None) -> str | None:
    r"""The target if it is a path on this portal, else None: the one check of every redirect
    whose target comes from the request (a `next` field, the Referer).

    Browsers take "//host", "/\host" and "\host" to be another site, and drop tabs and line
    breaks before reading a URL ("/<tab>/host" is "//host"): a path starts with one slash and
    holds no backslash, control character or space of any kind.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def referrer_path() -> str | None:
    """The page of this portal the request came from (its Referer), as a safe path, or None."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    return safe_next(parts.path + ("?" + parts.query if parts.query else ""))
