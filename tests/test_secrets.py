"""Secrets at rest: the key from the environment or a generated owner-only key file, never echoed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from booksync.secrets import KEY_ENV, KEY_FILE_ENV, SecretBox, SecretError, load_cipher

TOKENS = {"access_token": "at-very-secret", "refresh_token": "rt-very-secret", "expires_at": "x"}


def test_key_from_environment_round_trips_and_hides_the_plain_text() -> None:
    key = Fernet.generate_key().decode()
    box = SecretBox(load_cipher({KEY_ENV: key}))
    blob = box.seal(TOKENS)
    assert b"very-secret" not in blob
    assert box.open(blob) == TOKENS


def test_generated_key_file_is_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "secret.key"
    env = {KEY_FILE_ENV: str(path)}
    blob = SecretBox(load_cipher(env)).seal(TOKENS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A second process loads the same key and can read what the first wrote.
    assert SecretBox(load_cipher(env)).open(blob) == TOKENS


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_bytes(Fernet.generate_key())
    os.chmod(path, 0o644)
    with pytest.raises(SecretError, match=r"readable by other users .*chmod 600"):
        load_cipher({KEY_FILE_ENV: str(path)})


def test_malformed_key_names_the_setting_but_never_the_value() -> None:
    with pytest.raises(SecretError) as caught:
        load_cipher({KEY_ENV: "not-a-key-hunter2"})
    assert KEY_ENV in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert "accepted: a Fernet key" in str(caught.value)


def test_wrong_key_gives_a_clear_error_without_the_data() -> None:
    blob = SecretBox(load_cipher({KEY_ENV: Fernet.generate_key().decode()})).seal(TOKENS)
    other = SecretBox(load_cipher({KEY_ENV: Fernet.generate_key().decode()}))
    with pytest.raises(SecretError, match="cannot be decrypted") as caught:
        other.open(blob)
    assert "very-secret" not in str(caught.value)


def test_rotated_keys_decrypt_old_secrets_and_encrypt_with_the_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    blob = SecretBox(load_cipher({KEY_ENV: old})).seal(TOKENS)
    rotated = SecretBox(load_cipher({KEY_ENV: f"{new},{old}"}))
    assert rotated.open(blob) == TOKENS
    fresh = rotated.seal(TOKENS)
    assert SecretBox(load_cipher({KEY_ENV: new})).open(fresh) == TOKENS


def test_repr_never_shows_the_key() -> None:
    key = Fernet.generate_key().decode()
    box = SecretBox(load_cipher({KEY_ENV: key}))
    assert key not in repr(box)
