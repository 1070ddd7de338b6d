"""The emulators' fixtures, for services tested end to end (tests/emulators owns them)."""

from emulators.conftest import (  # noqa: F401
    quickbooks_emulator,
    quickbooks_emulator_factory,
    xero_emulator,
    xero_emulator_factory,
)
