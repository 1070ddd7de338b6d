"""Schemathesis against the app's own /openapi.json, in-process: whatever a client sends, valid or
not, the API answers without a 5xx, with a status the schema documents and a body that matches it,
and rejects what the schema says is invalid.

Bounded and deterministic: a few valid and a few invalid examples per operation, derandomized, on
one SQLite file of small books (so some references resolve), operations in schema order. The
operations are split in two shards so both cores share the work.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api_support import new_key
from booksync.api import create_app
from booksync.connectors.ledger.tool import DIR_ENV as LEDGER_DIR_ENV
from booksync.store.db import Store
from cli_support import seed

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: Examples per operation: enough to reach past validation into the services, few enough that
#: the whole run takes about a minute on two cores.
EXAMPLES = 12
SHARDS = 2
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """Small books in a fresh SQLite file; ledger tenants connect under tmp_path."""
    monkeypatch.setenv(LEDGER_DIR_ENV, str(tmp_path / "ledgers"))
    db_url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    opened = Store(db_url)
    seed(db_url)
    yield opened
    opened.dispose()


def operations(books: Store) -> list[Any]:
    app = create_app(books)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/v1/")
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation: Any, headers: dict[str, str]) -> None:
    """Hypothesis over one operation; raises with the smallest failing request it finds."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @SETTINGS
    @given(case=cases)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_input_yields_a_server_error(books: Store, shard: int) -> None:
    headers = {"Authorization": f"Bearer {new_key(books)}"}
    everything = operations(books)
    assert len(everything) >= 60
    failures = []
    for operation in everything[shard::SHARDS]:
        try:
            fuzz(operation, headers)
        except Exception as exc:  # noqa: BLE001 - every operation's failure is reported at the end
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
