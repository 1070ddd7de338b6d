"""The Xero emulator's fixtures, for the connector's end-to-end tests (tests/emulators owns them)."""

from emulators.conftest import xero_emulator, xero_emulator_factory  # noqa: F401
