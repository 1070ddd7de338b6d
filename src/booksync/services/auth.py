"""Who may use booksync: web admin users (argon2-hashed passwords) and REST API keys (SHA-256).

Neither a password nor an API key secret is ever stored or put in a message: users get an argon2id
hash (slow on purpose, because people choose guessable passwords); API keys get a SHA-256 of the
secret, which is enough because each secret is 256 random bits that nobody can guess at any speed,
and it keeps checking a key on every API call cheap. The secret is returned once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from booksync.services.errors import BadInput, Conflict, NotFound, one_of
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
    user = User(username=name, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user these credentials belong to, or None; an unknown name takes as long as a wrong
    password, so the answer does not tell which usernames exist. Upgrades old hashes on success."""
    user = None
    name = username.strip().lower()
    if len(password) > MAX_PASSWORD_LENGTH:
        password = ""
    elif USERNAME.match(name):  # anything else names nobody (and may not even be storable)
        user = session.scalars(select(User).where(User.username == name)).first()
    try:
        _hasher.verify(user.password_hash if user is not None else _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:  # pragma: no cover - the dummy hash matches no password anyone types
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_sign_in_at = utcnow()
    session.flush()
    return user


def user_by_id(session: Session, user_id: int) -> User | None:
    """The signed-in user a web session names, or None if it was deleted since."""
    return session.get(User, user_id)


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
    named = session.scalars(select(ApiKey).where(ApiKey.name == text)).all()
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
    "authenticate",
    "check_new_username",
    "check_password",
    "create_api_key",
    "create_user",
    "find_api_key",
    "list_api_keys",
    "list_users",
    "revoke_api_key",
    "user_by_id",
    "verify_api_key",
]
