"""The portal on a phone with no network: the service worker, the app's manifest, the copy of
the screener's hamlets, and the shell that shows them offline."""

from portal.offline.routes import bp

__all__ = ["bp"]
