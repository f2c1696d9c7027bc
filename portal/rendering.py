"""One route, two answers: the full page, or for an HTMX request the block it targets."""

from __future__ import annotations

from flask import Flask, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render the page, or only `block` of it when HTMX asks for a fragment.

    Boosted and history-restore requests get the whole page, since they replace the body.
    """
    htmx = getattr(request, "htmx", None)
    fragment = (
        block is not None and htmx and not htmx.boosted and not htmx.history_restore_request
    )
    if fragment:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def go_to(target: str):
    """After a save: a redirect, or for HTMX an answer naming the page to load in its place.

    htmx loads that page and swaps nothing of this answer, so it has no body: a page rendered
    here would take the messages flashed for the next one, and they would never be seen.
    """
    if getattr(request, "htmx", False):
        response = make_response("", 200)
        response.headers["HX-Location"] = target
        return response
    return redirect(target)


def register(app: Flask) -> None:
    """Every answer but a static file may depend on HX-Request (a fragment, a whole page, a
    redirect an HTMX request follows): caches are told so, as django-htmx's middleware does."""

    @app.after_request
    def _vary_on_htmx(response):
        if request.endpoint != "static":
            response.vary.add("HX-Request")
        return response
