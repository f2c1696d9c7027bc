"""Từng Nhà: the door-to-door screening portal. create_app builds the Flask app."""

from __future__ import annotations

import json
import os
import uuid

import flask_babel
from flask import Flask, g, has_request_context, request, session
from flask.logging import default_handler
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config, database, rendering
from portal.ids import IdConverter
from portal.security import register_security_headers
from portal.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from environment settings, overridden by test_config when given."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    # From the database and its timeouts as finally set (a test may point at another).
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", database.engine_options(app.config))
    check_production_settings(app)
    if app.config["PROXY_COUNT"]:
        # Behind nginx, the client's address (for login throttling and the audit trail).
        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_cli(app)
    register_security_headers(app)
    rendering.register(app)
    return app


def check_production_settings(app: Flask) -> None:
    """Refuse to run in production with a missing secret or with debug on."""
    if app.config["ENV_NAME"] != "production":
        return
    if app.config["SECRET_KEY"] in (None, "", "dev-only-not-secret"):
        raise RuntimeError("SECRET_KEY must be set in production.")
    if app.config.get("DEBUG"):
        raise RuntimeError("Debug mode must be off in production.")


def select_locale() -> str:
    """The language the user chose (session, then account), else Vietnamese."""
    default = "vi"
    if not has_request_context():
        return default
    chosen = session.get("locale")
    if chosen is None and current_user.is_authenticated:
        chosen = current_user.locale
    if chosen is None:
        chosen = request.cookies.get("locale")
    return chosen if chosen in ("vi", "en") else default


def set_sqlite_pragmas(dbapi_connection, connection_record):
    """WAL for concurrent readers, and enforced foreign keys (patience on a busy file is the
    busy timeout, set when connecting: portal/database.py)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_extensions(app: Flask) -> None:
    """Bind the extensions of portal.extensions to this app."""
    import portal.models  # noqa: F401  (every table, for Alembic and relationships)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    # Flask-Limiter says when Redis is lost and it counts in memory, on a logger that has only
    # a NullHandler: without Flask's handler, the warning would go nowhere.
    limiter.logger.addHandler(default_handler)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", set_sqlite_pragmas)
    database.register()
    from portal.coverage import summary

    summary.register()

    from portal.auth import resume
    from portal.auth.session import configure_login

    configure_login(login_manager)
    resume.register(app)

    register_templating(app)

    @app.before_request
    def _remember_locale_per_request():
        g.locale = select_locale()


# htmx reads this from a <meta> tag, so no inline script is needed (CSP allows none).
HTMX_CONFIG = {
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},  # a form with its errors beside the fields
        {"code": "429", "swap": True},  # a limit reached, said in place (searches by ID number)
        {"code": "[45]..", "swap": False, "error": True},
    ],
    "includeIndicatorStyles": False,
    # A request with no answer in this time is given up and said (portal.js), before
    # gunicorn's 30 s: the database's own timeouts answer a 503 sooner.
    "timeout": 25_000,
    "allowEval": False,
    "allowScriptTags": False,
    "selfRequestsOnly": True,
    # Pages hold personal health data: never keep copies in the browser's localStorage.
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
}


def register_templating(app: Flask) -> None:
    """Labels, date filters and the htmx configuration for every template."""
    from portal import labels, numbers
    from portal.access import Action, can, sees_health_details
    from portal.campaigns.active import campaign_choice, deadline_of
    from portal.residents.ages import age_of
    from portal.timeutil import local_time, today_local
    from portal.residents.identity import mask_id_number
    from portal.visits.models import Outcome
    from portal.visits.outcomes import CLOSED, OUTCOME_DETAILS, PER_CAMPAIGN_FIELDS

    labels.register(app)
    app.jinja_env.globals.update(htmx_config=HTMX_CONFIG, Outcome=Outcome, can=can, Action=Action,
                                 sees_health_details=sees_health_details,
                                 new_uuid=lambda: str(uuid.uuid4()), CLOSED_STANDINGS=CLOSED,
                                 OUTCOME_DETAILS=OUTCOME_DETAILS,
                                 PER_CAMPAIGN_FIELDS=PER_CAMPAIGN_FIELDS)

    @app.template_global()
    def campaigns_of_user():
        """The signed-in user's campaigns: the one they work on, the others open, its deadline."""
        return campaign_choice(current_user, today_local())

    @app.template_filter("deadline")
    def deadline(campaign):
        """A campaign's deadline on today's date: its day, and days left or overdue."""
        return deadline_of(campaign, today_local())

    @app.template_filter("masked")
    def masked(value) -> str:
        """ID numbers show their last four digits only."""
        return mask_id_number(value)

    @app.template_filter("age")
    def age(resident) -> int:
        """Age today, in Vietnam."""
        return age_of(resident, today_local())

    @app.template_filter("dmy_local")
    def format_dmy_local(value) -> str:
        """A stored UTC time as the day and hour in Vietnam."""
        return flask_babel.format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""

    @app.template_filter("day_local")
    def format_day_local(value) -> str:
        """A stored UTC time as the day it was in Vietnam, dd/mm/yyyy (a list submitted at
        01:00 on 02/12 in Vietnam is of 02/12, not of the 1st as in UTC)."""
        return local_time(value).strftime("%d/%m/%Y") if value else ""

    @app.template_filter("days_ago")
    def days_ago(value) -> int:
        """Whole days in Vietnam from a stored UTC time to today: 0 the same day."""
        return (today_local() - local_time(value).date()).days if value else 0

    @app.template_filter("labels_json")
    def labels_json(labels) -> str:
        """A label map as JSON for a page's script: codes to their words in this language."""
        return json.dumps({str(getattr(code, "value", code)): str(text)
                           for code, text in labels.items()}, ensure_ascii=False)

    @app.template_filter("number")
    def format_number(value) -> str:
        """Counts with the locale's thousands separator: 12.345 in Vietnamese."""
        return numbers.whole(value or 0, flask_babel.get_locale())

    @app.template_filter("decimal")
    def format_one_decimal(value) -> str:
        """A figure with one decimal in the locale's way: 2,5 in Vietnamese."""
        return numbers.one_decimal(value or 0, flask_babel.get_locale())

    @app.template_filter("pct")
    def format_percent(value) -> str:
        """Percentages with one decimal, comma-separated in Vietnamese: 58,1 %."""
        return numbers.one_decimal(value or 0, flask_babel.get_locale()) + "\u00a0%"

    @app.template_filter("dmy")
    def format_dmy(value) -> str:
        """Dates as Vietnamese officials write them: dd/mm/yyyy."""
        return value.strftime("%d/%m/%Y") if value else ""


def register_blueprints(app: Flask) -> None:
    """Attach one blueprint per area of the product."""
    # Every <int:...> in a route is an id: a number too big for the database is a 404, not a 500.
    app.url_map.converters["int"] = IdConverter
    from portal.admin.routes import bp as admin_bp
    from portal.audit.routes import bp as audit_bp
    from portal.auth.routes import bp as auth_bp
    from portal.campaigns.routes import bp as campaigns_bp
    from portal.coverage.routes import bp as coverage_bp
    from portal.imports.routes import bp as imports_bp
    from portal.jobs.routes import bp as jobs_bp
    from portal.lists.routes import bp as lists_bp
    from portal.main.routes import bp as main_bp
    from portal.offline import bp as offline_bp
    from portal.residents.routes import bp as residents_bp
    from portal.vaccination.routes import bp as vaccination_bp
    from portal.visits.routes import bp as visits_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(coverage_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(lists_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(residents_bp)
    app.register_blueprint(vaccination_bp)
    app.register_blueprint(visits_bp)


def register_errorhandlers(app: Flask) -> None:
    """Errors answer as HTML or JSON, in the user's language."""
    from portal.main.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    """Add the portal's commands to `flask`."""
    from portal.auth.cli import users_cli
    from portal.campaigns.cli import campaigns_cli
    from portal.coverage.cli import coverage_cli
    from portal.demo.cli import seed_demo_command
    from portal.jobs.cli import jobs_cli
    from portal.residents.cli import residents_cli
    from portal.units.cli import units_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(campaigns_cli)
    app.cli.add_command(coverage_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(residents_cli)
    app.cli.add_command(units_cli)
