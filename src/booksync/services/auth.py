"""Who may use booksync: web admin users (argon2-hashed passwords) and REST API keys (SHA-256).

Neither a password nor an API key secret is ever stored or put in a message: users get an argon2id
hash (slow on purpose, because people choose guessable passwords); API keys get a SHA-256 of the
secret, which is enough because each secret is 256 random bits that nobody can guess at any speed,
and it keeps checking a key on every API call cheap. The secret is returned once, at creation.

A web session carries its user's `session_generation`; signing out, disabling the user or changing
their password bumps it, which ends every session issued before. Hashing runs in a bounded pool and
failed sign-ins are limited (`sign_in_limits`). API keys belong to no user: disabling a user leaves
them working; revoke them with `booksync apikey revoke`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from booksync.services import sign_in_limits as limits
from booksync.services.errors import BadInput, Conflict, NotFound, one_of
from booksync.services.text import check_text
from booksync.store.db import Store
from booksync.store.models import ApiKey, User
from booksync.store.types import utcnow

MIN_PASSWORD_LENGTH = 12
#: Long enough for any passphrase; bounded so nobody can make the server hash megabytes.
MAX_PASSWORD_LENGTH = 1024
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,149}$")
KEY_NAME_MAX = 100

#: API key secrets read `bsk_<prefix>_<random>`; the prefix finds the key, the whole secret proves it.
KEY_SCHEME = "bsk"
PREFIX_BYTES = 4
PREFIX = re.compile(rf"[0-9a-f]{{{2 * PREFIX_BYTES}}}")
SECRET_BYTES = 32
#: `last_used_at` is written at most this often, so reading the API does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_hasher = PasswordHasher()


# -- users -----------------------------------------------------------------------------------------


def _username(text: str) -> str:
    username = text.strip().lower()
    if not USERNAME.match(username):
        raise BadInput(
            "username",
            text,
            "is not a username",
            "1 to 150 letters, digits and . _ @ + - (starting with a letter or digit)",
        )
    return username


def check_password(password: str) -> None:
    """Refuse a password too short (or absurdly long), without ever echoing it."""
    hidden = f"({len(password)} characters, hidden)"
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(
            "password", hidden, "is too short", f"at least {MIN_PASSWORD_LENGTH} characters"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadInput(
            "password", hidden, "is too long", f"at most {MAX_PASSWORD_LENGTH} characters"
        )


def check_new_username(session: Session, username: str) -> str:
    """The username as it will be stored, if it is well-formed and free (a face asks this before
    prompting for a password)."""
    name = _username(username)
    if session.scalars(select(User.id).where(User.username == name)).first() is not None:
        raise Conflict("username", name, "is already taken", "a username not in use")
    return name


def create_user(session: Session, username: str, password: str) -> User:
    """A new web admin user; the username is case-insensitive and must be free."""
    name = check_new_username(session, username)
    check_password(password)
    user = User(username=name, password_hash=hash_password(password), session_generation=0)
    session.add(user)
    session.flush()
    return user


def hash_password(password: str) -> str:
    """An argon2id hash, computed in one of the process's hashing slots."""
    with limits.hashing_slot():
        return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class SignedIn:
    """Who a session belongs to, and the generation it was issued under."""

    user_id: int
    username: str
    generation: int


@dataclass(frozen=True)
class _Candidate:
    user_id: int
    password_hash: str


def _candidate(session: Session, name: str) -> _Candidate | None:
    if not USERNAME.match(name):  # anything else names nobody (and may not even be storable)
        return None
    user = session.scalars(select(User).where(User.username == name)).first()
    if user is None or user.disabled_at is not None:
        return None
    return _Candidate(user.id, user.password_hash)


def _verify(candidate: _Candidate | None, password: str) -> str | None:
    """None if the password is wrong, else the hash to keep (a fresh one if the old is outdated).
    An unknown or disabled user takes as long as a wrong password: the answer tells nothing."""
    if len(password) > MAX_PASSWORD_LENGTH:
        password = ""
    with limits.hashing_slot():
        stored = candidate.password_hash if candidate is not None else _dummy_hash()
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if candidate is None:  # pragma: no cover - the dummy hash matches no password anyone types
            return None
        return _hasher.hash(password) if _hasher.check_needs_rehash(stored) else stored


def _finish(
    session: Session,
    candidate: _Candidate | None,
    kept_hash: str | None,
    counters: list[str],
    seen_hash: str | None,
) -> User | None:
    """Record the outcome: a failure counts against every counter; a success clears the user
    name's. A user disabled, deleted or given a new password meanwhile is not signed in."""
    user = session.get(User, candidate.user_id) if candidate is not None else None
    if (
        user is None
        or kept_hash is None
        or user.disabled_at is not None
        or user.password_hash != seen_hash
    ):
        limits.record_failure(session, counters)
        return None
    limits.forget_failures(session, counters[0])
    user.password_hash = kept_hash
    user.last_sign_in_at = utcnow()
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, *, address: str | None = None
) -> User | None:
    """The user these credentials belong to, or None, in the caller's transaction; raises
    `TooManyAttempts` past the failure limit and `Busy` when no hashing slot frees up.
    Upgrades an outdated hash on success."""
    name = username.strip().lower()
    counters = limits.keys(name, address)
    limits.refuse_if_throttled(session, counters)
    candidate = _candidate(session, name)
    kept = _verify(candidate, password)
    seen = candidate.password_hash if candidate is not None else None
    return _finish(session, candidate, kept, counters, seen)


def sign_in(store: Store, username: str, password: str, address: str | None) -> SignedIn | None:
    """`authenticate` for the web: the same checks in two short transactions with the slow hash
    between them, so no database lock is held while argon2 runs (SQLite takes its write lock at
    BEGIN)."""
    name = username.strip().lower()
    counters = limits.keys(name, address)
    with store.session() as session:
        limits.refuse_if_throttled(session, counters)
        candidate = _candidate(session, name)
    kept = _verify(candidate, password)
    seen = candidate.password_hash if candidate is not None else None
    with store.session() as session:
        user = _finish(session, candidate, kept, counters, seen)
        return SignedIn(user.id, user.username, user.session_generation) if user else None


def session_user(session: Session, user_id: int, generation: object) -> User | None:
    """The user a web session names, if that session still stands: the user exists, is not
    disabled, and has not signed out (or been disabled, or changed password) since it was issued."""
    user = session.get(User, user_id)
    if user is None or user.disabled_at is not None or user.session_generation != generation:
        return None
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """End every session of the user at once (sign-out does this: a copied cookie stops working)."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_generation=User.session_generation + 1)
    )


def user_by_id(session: Session, user_id: int) -> User | None:
    """The user with this id, or None if it was deleted since."""
    return session.get(User, user_id)


def find_user(session: Session, username: str) -> User:
    name = check_text("username", username).strip().lower()
    user = session.scalars(select(User).where(User.username == name)).first()
    if user is None:
        raise NotFound(
            "username", name, "is not a user", one_of(u.username for u in list_users(session))
        )
    return user


def disable_user(session: Session, username: str) -> User:
    """The user can no longer sign in, and every session of theirs ends now."""
    user = find_user(session, username)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    end_sessions(session, user.id)
    session.flush()
    session.refresh(user)
    return user


def enable_user(session: Session, username: str) -> User:
    """The user may sign in again (their old sessions stay ended)."""
    user = find_user(session, username)
    user.disabled_at = None
    session.flush()
    return user


def set_password(session: Session, username: str, password: str) -> User:
    """A new password; every session of the user ends (whoever knew the old one is signed out)."""
    user = find_user(session, username)
    check_password(password)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)
    session.flush()
    session.refresh(user)
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


# -- API keys --------------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def create_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """A new API key and its secret. The secret is not kept: show it now, it cannot be shown again."""
    label = name.strip()
    if not label or len(label) > KEY_NAME_MAX or not label.isprintable():
        raise BadInput(
            "name", name, "is not a key name", f"1 to {KEY_NAME_MAX} printable characters, e.g. ci"
        )
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if session.scalars(select(ApiKey.id).where(ApiKey.prefix == prefix)).first() is None:
            break
    secret = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    key = ApiKey(name=label, prefix=prefix, key_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    return key, secret


def verify_api_key(session: Session, secret: str) -> ApiKey | None:
    """The live key this secret belongs to, or None (unknown, malformed or revoked)."""
    scheme, _, rest = secret.strip().partition("_")
    prefix, _, random_part = rest.partition("_")
    if scheme != KEY_SCHEME or not PREFIX.fullmatch(prefix) or not random_part:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if key is None or not hmac.compare_digest(key.key_hash, hash_secret(secret.strip())):
        return None
    if key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.flush()
    return key


def find_api_key(session: Session, ref: str) -> ApiKey:
    """A key by its prefix (with or without `bsk_`), its name (if one live key, or else one key,
    has it) or its id."""
    text = ref.strip()
    prefix = text.removeprefix(f"{KEY_SCHEME}_").split("_")[0]
    if PREFIX.fullmatch(prefix):
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is not None:
            return key
    named = session.scalars(select(ApiKey).where(ApiKey.name == check_text("key", text))).all()
    live = [k for k in named if k.revoked_at is None]
    named = live or named  # a name of revoked keys only still names them
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        shown = ", ".join(k.prefix for k in named)
        raise NotFound("key", text, f"names {len(named)} keys", f"one of their prefixes: {shown}")
    if text.isascii() and text.isdigit() and len(text) < 19:
        found = session.get(ApiKey, int(text))
        if found is not None:
            return found
    raise NotFound(
        "key", text, "is not an API key", one_of(k.prefix for k in list_api_keys(session))
    )


def revoke_api_key(session: Session, ref: str) -> ApiKey:
    """Revoke a key for good (revoking twice is harmless; the first time is kept)."""
    key = find_api_key(session, ref)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


def list_api_keys(session: Session) -> Sequence[ApiKey]:
    return session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SignedIn",
    "authenticate",
    "check_new_username",
    "check_password",
    "create_api_key",
    "create_user",
    "disable_user",
    "enable_user",
    "end_sessions",
    "find_api_key",
    "find_user",
    "hash_password",
    "list_api_keys",
    "list_users",
    "revoke_api_key",
    "session_user",
    "set_password",
    "sign_in",
    "user_by_id",
    "verify_api_key",
]
