"""The `contract` fixture: one fresh tenant of each tool the contract suite runs against.

The emulators' fixtures come from tests/emulators (imported, not copied), so every Xero exchange the
suite makes is still checked against Xero's OpenAPI specs at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.targets import TARGETS, ContractTarget
from emulators.conftest import (  # noqa: F401
    quickbooks_emulator_factory,
    xero_emulator_factory,
)


@pytest.fixture(params=list(TARGETS))
def contract(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContractTarget]:
    """A connector on a fresh tenant of one tool, with what the suite needs to seed and inspect it.

    Only the emulator the target needs is started (requested lazily by name)."""
    target = TARGETS[request.param](request, tmp_path)
    try:
        yield target
    finally:
        target.close()
