"""The signed-in user's own account: API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import NotFound
from ..inputs import Text
from ..models import ApiToken
from ..services import users
from .auth import actor, login_required
from .boundary import form
from .transaction import db_session

bp = Blueprint("account", __name__, url_prefix="/account")
NEW_TOKEN = form("account.create_token", name=Text(100)).shown_on("account.index",
                                                                 invalid="name")
REVOKE_TOKEN = form("account.revoke_token")


@bp.route("/", methods=["GET"])
@login_required
def index() -> str:
    tokens = db_session().execute(
        select(ApiToken).where(ApiToken.user_id == actor().id).order_by(ApiToken.id)
    ).scalars().all()
    return render_template("account.html", tokens=tokens, new_token=None)


@bp.route("/tokens", methods=["POST"])
@login_required
def create_token() -> Any:
    user = actor()
    name = NEW_TOKEN.read().get("name", "")
    plaintext, _token = users.create_token(db_session(), user, user, name)
    tokens = db_session().execute(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).scalars().all()
    # Shown once; only the hash is stored.
    return render_template("account.html", tokens=tokens, new_token=plaintext)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    user = actor()
    token = db_session().get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    users.revoke_token(db_session(), user, token)
    flash(_("Token revoked."), "success")
    return redirect(url_for(".index"))
