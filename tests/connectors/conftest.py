"""The emulators' fixtures, for the connectors' end-to-end tests (tests/emulators owns them)."""

from emulators.conftest import (  # noqa: F401
    quickbooks_emulator,
    quickbooks_emulator_factory,
    xero_emulator,
    xero_emulator_factory,
)
