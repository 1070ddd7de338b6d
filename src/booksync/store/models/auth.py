"""Who may use booksync's web admin and REST API: users and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booksync.store.models.base import Base
from booksync.store.types import UTCDateTime, utcnow


class User(Base):
    """A person who signs in to the web admin. Only an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case, so "Alice" and "alice" are one user.
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Every session cookie carries the value it was issued under; sign-out, disabling and a new
    #: password bump it, which ends every session issued before.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    #: Set while the user may not sign in (`booksync user disable`).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailure(Base):
    """A failed sign-in, kept for a minute to slow guessing, per user name and per address.

    `key` is a SHA-256 of "user:NAME" or "address:IP", so nothing a guesser typed is stored.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ApiKey(Base):
    """A key for the REST API. The secret is shown once; only its SHA-256 is kept.

    A fast hash is enough here, unlike for passwords: the secret is 256 random bits, so no amount
    of hashing speed makes guessing it feasible, and every API call can be checked cheaply.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The random part after `bsk_` that people see in listings; it finds the key, never proves it.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
