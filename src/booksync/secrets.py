"""Encryption at rest for what must never be stored in clear text: a tenant's OAuth tokens.

The key comes from `BOOKSYNC_SECRET_KEY` (a Fernet key; several, comma-separated, to rotate: the
first encrypts, any decrypts) or else from a key file that booksync generates on first use with mode
0600 (default `~/.config/booksync/secret.key`, moved with `BOOKSYNC_SECRET_KEY_FILE`). Errors name the
setting and what is accepted, never the key or the data.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from booksync.errors import BooksyncError

KEY_ENV = "BOOKSYNC_SECRET_KEY"
KEY_FILE_ENV = "BOOKSYNC_SECRET_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/booksync/secret.key")

_ACCEPTED_KEY = (
    "a Fernet key: 32 url-safe base64-encoded bytes, e.g. the output of "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class SecretError(BooksyncError):
    """The secret key is missing, malformed or unsafe, or a stored secret cannot be decrypted."""


def key_file() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def _fernet(raw: bytes | str, where: str) -> Fernet:
    try:
        return Fernet(raw.strip())
    except (ValueError, TypeError):
        # Never echo the value: it is (meant to be) a secret.
        raise SecretError(
            f"{where} is not accepted (value hidden); accepted: {_ACCEPTED_KEY}"
        ) from None


def _read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"key file {path} is readable by other users (mode {stat.S_IMODE(mode):o}); "
            f"accepted: mode 600, fix with: chmod 600 {path}"
        )
    return path.read_bytes()


def _create_key_file(path: Path) -> bytes:
    """Write a new key with mode 0600 from the first byte on; lose a race to another process gracefully."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "wb") as out:
        out.write(key + b"\n")
        out.flush()
        os.fsync(out.fileno())
    return key


def load_cipher(environ: Mapping[str, str] | None = None) -> MultiFernet:
    """The cipher for secrets at rest, from BOOKSYNC_SECRET_KEY or the (generated) key file."""
    env = os.environ if environ is None else environ
    configured = env.get(KEY_ENV, "").strip()
    if configured:
        keys = [k for k in configured.split(",") if k.strip()]
        return MultiFernet([_fernet(k, KEY_ENV) for k in keys])
    path = Path(env.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()
    try:
        raw = _read_key_file(path) if path.exists() else _create_key_file(path)
    except OSError as exc:
        raise SecretError(
            f"key file {path} could not be read or created ({exc.strerror}); accepted: a writable "
            f"location in {KEY_FILE_ENV}, or a key in {KEY_ENV}"
        ) from None
    return MultiFernet([_fernet(raw, f"key file {path}")])


class SecretBox:
    """Encrypts and decrypts small secrets (JSON documents) with the configured key."""

    def __init__(self, cipher: MultiFernet | None = None) -> None:
        self._cipher = cipher

    @property
    def cipher(self) -> MultiFernet:
        if self._cipher is None:
            self._cipher = load_cipher()
        return self._cipher

    def seal(self, data: Mapping[str, Any]) -> bytes:
        return self.cipher.encrypt(json.dumps(data, sort_keys=True).encode())

    def open(self, blob: bytes) -> dict[str, Any]:
        try:
            plain = self.cipher.decrypt(blob)
        except InvalidToken:
            raise SecretError(
                "stored credentials cannot be decrypted with the current secret key; accepted: the "
                f"key they were saved with ({KEY_ENV} or {key_file()}), or connect the tenant again"
            ) from None
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise SecretError("stored credentials are not a JSON object; connect the tenant again")
        return value

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"
