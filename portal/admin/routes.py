"""The account screens: list, create, edit, deactivate or reactivate, reset a password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from wtforms.fields.choices import SelectChoice

from portal import labels
from portal.access import Action, requires
from portal.admin.forms import AccountForm, NewAccountForm, PasswordResetForm, UserFilterForm
from portal.admin.users import (
    AccountDetails, AccountList, UserRejected, accounts_in_scope, create_account, deactivate_account,
    hamlets_of, reactivate_account, reset_password, roles_assignable, unit_by_code,
    update_account,
)
from portal.auth.models import Role, User
from portal.extensions import db
from portal.forms import query_text
from portal.rejections import show_beside_fields
from portal.rendering import go_to, render
from portal.scope import get_in_scope_or_404

bp = Blueprint("admin", __name__)


@bp.route("/users")
@requires(Action.MANAGE_USERS)
def users():
    """The accounts within scope, filtered by role, unit and name; HTMX asks for the rows only."""
    form = UserFilterForm(request.args)
    filters = form.filters
    found = accounts_in_scope(current_user, **filters) if form.validate() else AccountList([], 0)
    return render("admin/users.html", block="rows", found=found, filters=filters, form=form,
                  roles=roles_assignable(current_user))


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def new_user():
    """Create an account; a commune lead's form starts on their own commune."""
    form = NewAccountForm()
    if request.method == "GET":
        form.unit_code.data = query_text("unit_code") or _default_unit_code()
        _fill_choices(form)
        # Typing a unit code asks for that commune's hamlets only.
        block = "hamlets" if request.args.get("unit_code") is not None else "form"
        return render("admin/user_new.html", block=block, form=form)
    _fill_choices(form)
    if not form.validate_on_submit():
        return render("admin/user_new.html", block="form", form=form, status=422)
    try:
        user = create_account(current_user, username=form.username.data,
                              password=form.password.data, details=_details(form))
    except UserRejected as rejected:
        show_beside_fields(rejected, form)
        return render("admin/user_new.html", block="form", form=form, status=422)
    db.session.commit()
    flash(_("Account %(username)s created.", username=user.username))
    return go_to(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def edit_user(user_id: int):
    """An account: its name, role, unit and hamlets, with its password and status below."""
    user = get_in_scope_or_404(User, user_id, current_user)
    if request.method == "GET":
        return _edit_page(user)
    form = AccountForm()
    _fill_choices(form)
    if not form.validate_on_submit():
        return _edit_page(user, form=form, block="form", status=422)
    try:
        changed = update_account(current_user, user, _details(form))
    except UserRejected as rejected:
        show_beside_fields(rejected, form)
        return _edit_page(user, form=form, block="form", status=422)
    db.session.commit()
    flash(_("Changes saved.") if changed else _("Nothing was changed."))
    return go_to(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@requires(Action.MANAGE_USERS)
def deactivate_user(user_id: int):
    """Lock the account: its sessions end now and it can no longer log in."""
    user = get_in_scope_or_404(User, user_id, current_user)
    try:
        deactivate_account(current_user, user)
    except UserRejected as rejected:
        return _edit_page(user, status=422, status_errors=rejected.errors.get("", []))
    db.session.commit()
    flash(_("The account is deactivated; its sessions have ended."))
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires(Action.MANAGE_USERS)
def reactivate_user(user_id: int):
    """Let a locked account log in again."""
    user = get_in_scope_or_404(User, user_id, current_user)
    reactivate_account(current_user, user)
    db.session.commit()
    flash(_("The account can log in again."))
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Action.MANAGE_USERS)
def reset_user_password(user_id: int):
    """Set a new password for the account; every session of it ends."""
    user = get_in_scope_or_404(User, user_id, current_user)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _edit_page(user, password_form=form, block="password", status=422)
    try:
        reset_password(current_user, user, form.password.data)
    except UserRejected as rejected:
        show_beside_fields(rejected, form)
        return _edit_page(user, password_form=form, block="password", status=422)
    db.session.commit()
    if user.id == current_user.id:
        login_user(user)  # one's own session carries on with the new token
    if getattr(request, "htmx", False):
        return _edit_page(user, block="password", password_saved=True)
    flash(_("The password is changed; the account's sessions have ended."))
    return redirect(url_for("admin.edit_user", user_id=user.id))


def _default_unit_code() -> str:
    """A commune lead can only add screeners to their own commune: start there."""
    return current_user.unit.code if current_user.role is Role.COMMUNE_LEAD else ""


def _fill_choices(form: AccountForm) -> None:
    """The roles the user may give, and the hamlets of the commune typed in the form."""
    form.role.choices = [SelectChoice(r.value, labels.ROLE[r]) for r in roles_assignable(current_user)]
    if current_user.role is Role.COMMUNE_LEAD:
        form.unit_code.render_kw = {**(form.unit_code.render_kw or {}), "readonly": True}
    unit = unit_by_code((form.unit_code.data or "").strip())
    if unit is not None and not current_user.unit.contains(unit):
        unit = None  # no peeking at the hamlets of another area
    form.hamlets.choices = [SelectChoice(h.id, h.name) for h in hamlets_of(unit)]


def _details(form: AccountForm) -> AccountDetails:
    """What the form asks the domain to set."""
    return AccountDetails(full_name=form.full_name.data, role=form.role.data,
                          unit_code=form.unit_code.data, hamlet_ids=form.hamlets.data or [])


def _edit_page(user: User, *, form=None, password_form=None, block=None, status=200, **extra):
    """The account page, or one of its parts for HTMX."""
    if form is None:
        form = AccountForm(formdata=None, obj=user)
        form.role.data = user.role.value
        form.unit_code.data = user.unit.code
        form.hamlets.data = [h.id for h in user.hamlets]
        _fill_choices(form)
    return render("admin/user_edit.html", block=block, status=status, user=user, form=form,
                  password_form=password_form or PasswordResetForm(formdata=None), **extra)


from portal.admin import units  # noqa: F401  (its routes, on this blueprint)
