"""Accounts: password hashing, login with lockout, API tokens. Used by the web and the CLI."""

from __future__ import annotations

import contextlib
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, TooManyRequests, Unauthenticated, ValidationError
from ..inputs import check_text
from ..models import ROLES, ApiToken, Site, User, utcnow
from . import audit, throttle

_hasher = PasswordHasher()
# A hash of a random password, verified when the user does not exist, so that timing does not
# tell an attacker which usernames are real.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "bbk_"  # noqa: S105 - a public marker, not a secret


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password must be at least %(min_password_length)s characters",
            min_password_length=MIN_PASSWORD_LENGTH, code="weak_password")
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    display_name: str,
    role: str,
    site_code: str,
    password: str,
) -> User:
    # The operators' commands reach this without a form: the same text rule and the columns'
    # lengths here, so a control character or an overlong name is a one-line refusal on both
    # engines (PostgreSQL raised DataError, SQLite stored the excess).
    username = check_text("username", username.strip().lower(), 64)
    display_name = check_text("display_name", display_name.strip(), 200)
    if role not in ROLES:
        raise ValidationError(
            "unknown role %(role)r; one of: %(roles)s",
            role=role, roles=", ".join(ROLES))
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise ValidationError("username must be letters, digits, '.' or '_'")
    site = session.execute(select(Site).where(Site.code == site_code)).scalar_one_or_none()
    if site is None:
        raise NotFound("no site with code %(site_code)r", site_code=site_code)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict("user %(username)r already exists", username=username, code="duplicate_user")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        site_id=site.id,
        password_hash=hash_password(password),
        failed_logins=0,
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.create", "user", username,
        {"role": role, "site": site.code, "display_name": display_name},
    )
    return user


#: Sign-in: 5 failures free, then 1 min doubling to 15 min, per (name, address).
LOGIN_POLICY = throttle.Policy(free_failures=5, base_seconds=60, max_seconds=15 * 60)
#: Electronic signatures: 3 failures free, then 1 min doubling to 15 min, per (user, address).
SIGNATURE_POLICY = throttle.Policy(free_failures=3, base_seconds=60, max_seconds=15 * 60)


def authenticate(session: Session, username: str, password: str, *, address: str,
                 policy: throttle.Policy = LOGIN_POLICY) -> User:
    """Return the user, or raise Unauthenticated with ONE answer for every refusal (wrong
    password, unknown name, disabled account, a name blocked from this address): the answer,
    and its timing, never tell a real account from an unknown one. Failures are counted per
    (name as typed, client address) and persisted by the caller's commit even though this
    raises (the sign-in view records the refusal)."""
    name = username.strip().lower()
    if throttle.blocked_for(session, "login", name, address):
        # No password check while blocked: the same work for a known and an unknown name.
        raise Unauthenticated("wrong username or password, or too many failed attempts from "
                              "this computer; wait a few minutes and try again",
                              code="bad_credentials")
    user = session.execute(select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        ok = False
    else:
        ok = check_password(user, password) and user.active
    if not ok:
        failures, seconds = throttle.failed(session, "login", name, address, policy)
        if seconds and user is not None:
            audit.record(session, None, "user.login_blocked", "user", user.username,
                         {"address": address, "failures": failures, "seconds": seconds})
        raise Unauthenticated("wrong username or password, or too many failed attempts from "
                              "this computer; wait a few minutes and try again",
                              code="bad_credentials")
    assert user is not None
    throttle.succeeded(session, "login", name, address)
    throttle.prune(session)
    session.flush()
    return user


def verify_signature(session: Session, user: User, password: str, *, address: str,
                     policy: throttle.Policy = SIGNATURE_POLICY) -> None:
    """The password of an electronic signature, counted and throttled like sign-in (per user
    and address) and audited: every wrong password is an audit event, and after
    ``policy.free_failures`` the user waits before trying again (429). The caller records
    the refusal (its commit keeps the count)."""
    wait = throttle.blocked_for(session, "sign", user.username, address)
    if wait:
        raise TooManyRequests(
            "too many wrong signature passwords; wait %(seconds)s seconds and try again",
            seconds=wait, code="signature_blocked")
    if not check_password(user, password):
        failures, seconds = throttle.failed(session, "sign", user.username, address, policy)
        audit.record(session, user, "user.signature_refused", "user", user.username,
                     {"address": address, "failures": failures, "blocked_seconds": seconds})
        raise Unauthenticated("password does not match", code="bad_credentials")
    throttle.succeeded(session, "sign", user.username, address)


def unlock(session: Session, actor: User | None, user: User) -> None:
    """Clear every back-off of the account (sign-in and signature, from every address)."""
    user.failed_logins = 0
    user.locked_until = None
    throttle.clear(session, user.username)
    audit.record(session, actor, "user.unlock", "user", user.username)
    session.flush()


def _token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(session: Session, actor: User, owner: User, name: str) -> tuple[str, ApiToken]:
    """Return (plaintext shown once, stored token). Only the SHA-256 is kept."""
    name = check_text("name", name.strip(), 100)
    if not name:
        raise ValidationError("token name must be 1–100 characters")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id, name=name, token_hash=_token_digest(plaintext), prefix=plaintext[:10]
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", "api_token", token.id,
                 {"owner": owner.username, "name": name})
    return plaintext, token


def revoke_token(session: Session, actor: User, token: ApiToken) -> None:
    if token.revoked_at is not None:
        raise Conflict("token already revoked")
    if token.user_id != actor.id and actor.role != "admin":
        raise NotFound("no such token")
    token.revoked_at = utcnow()
    audit.record(session, actor, "token.revoke", "api_token", token.id,
                 {"owner": token.user.username, "name": token.name})
    session.flush()


def user_for_token(session: Session, plaintext: str) -> User:
    if not plaintext.startswith(TOKEN_PREFIX):
        raise Unauthenticated("malformed API token", code="bad_token")
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(plaintext))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        raise Unauthenticated("invalid or revoked API token", code="bad_token")
    return token.user


# Fields a user may change on their own account. Role and site are never taken from a request.
SELF_EDITABLE = {"display_name", "locale"}


def update_profile(session: Session, actor: User, changes: dict[str, object]) -> User:
    forbidden = sorted(set(changes) - SELF_EDITABLE)
    if forbidden:
        raise ValidationError(
            "field(s) %(forbidden)s cannot be set here; editable: %(self_editable)s",
            forbidden=", ".join(forbidden),
            self_editable=", ".join(sorted(SELF_EDITABLE)),
            code="forbidden_field")
    recorded: dict[str, object] = {}
    for field, value in changes.items():
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise ValidationError(
                "%(field)s must be a non-empty string (≤ 200 characters)",
                field=field)
        if field == "locale" and value not in {"en", "zh"}:
            raise ValidationError("locale must be 'en' or 'zh'")
        old = getattr(actor, field)
        if old != value:
            setattr(actor, field, value.strip())
            recorded[field] = [old, value.strip()]
    if recorded:
        audit.record(session, actor, "user.update", "user", actor.username, recorded)
    session.flush()
    return actor
