"""Fixtures for the end-to-end tests: the emulators (tests/emulators owns them) and a throwaway key
for the tokens booksync stores encrypted."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from booksync.secrets import KEY_ENV
from emulators.conftest import (  # noqa: F401 - fixtures
    quickbooks_emulator,
    quickbooks_emulator_factory,
    xero_emulator,
    xero_emulator_factory,
)


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
