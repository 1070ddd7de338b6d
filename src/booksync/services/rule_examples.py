"""A real finding per rule, from the demo books: what the doctor says on a record that fails it.

`compute_examples()` loads the sample books into a temporary SQLite store and connects the
embedded ledger tenants (what `booksync demo` does before it syncs), then asks the doctor about the
record `DELIBERATE_FAULTS` names for each rule, or for a dependency rule about a document that
fault holds back. That takes a few seconds, so the result is kept in `rule_examples.json` beside
this module for `booksync explain` and the docs site; tests/docs/ recomputes it and fails when the
kept copy is stale. Refresh it with `python -m booksync.services.rule_examples`.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from booksync.domain.rules import RULES
from booksync.services.sample_plan import Fault, deliberate_faults

EXAMPLES_FILE = Path(__file__).with_name("rule_examples.json")
#: dependency rule -> the type of the record whose own fault holds documents back through it.
DEPENDS_ON = {
    "dependency.client": "client",
    "dependency.supplier": "supplier",
    "dependency.product": "product",
}


@dataclass(frozen=True, slots=True)
class Example:
    """One record of the demo books failing a rule, as the doctor's `--json` reports that check."""

    rule: str
    record_type: str
    reference: str
    status: str
    detail: str
    fix: str | None
    fix_page: str | None


def candidates(rule: str, faults: tuple[Fault, ...]) -> list[tuple[str, str]]:
    """The records to ask the doctor about for `rule`, as (record type, reference), best first."""
    own = [(f.record_type, f.reference) for f in faults if f.rule == rule]
    # A dependency whose own record is at fault reads better than one whose integration is off.
    causes = sorted(
        (f for f in faults if DEPENDS_ON.get(rule) == f.record_type and f.status == "blocked"),
        key=lambda f: not f.rule.startswith("record."),
    )
    held = [ref for f in causes for ref in f.blocked]
    return list(dict.fromkeys(own + held))


def compute_examples() -> dict[str, Example]:
    """Each rule that the sample books fail on purpose -> the doctor's check on its first record."""
    # Imported here: `booksync explain` reads the kept examples without loading the store.
    from booksync.services.demo import prepare_demo
    from booksync.services.doctor import diagnose, evaluation_json
    from booksync.store.db import Store

    faults = deliberate_faults()
    found: dict[str, Example] = {}
    with tempfile.TemporaryDirectory(prefix="booksync-examples-") as directory:
        store = Store(f"sqlite:///{Path(directory) / 'demo.db'}")
        try:
            prepare_demo(store, Path(directory))
            with store.session() as session:
                for info in RULES:
                    for record_type, reference in candidates(info.id, faults):
                        checks = evaluation_json(diagnose(session, record_type, reference))
                        check = next(c for c in checks["checks"] if c["id"] == info.id)
                        if check["status"] in ("blocked", "unknown"):
                            found[info.id] = Example(
                                info.id,
                                record_type,
                                reference,
                                check["status"],
                                check["detail"],
                                check["fix"],
                                check["fix_page"],
                            )
                            break
        finally:
            store.dispose()
    return found


def to_json(examples: dict[str, Example]) -> str:
    return json.dumps({k: asdict(v) for k, v in examples.items()}, indent=2) + "\n"


@cache
def kept_examples() -> dict[str, Example]:
    """The examples kept beside this module (instant; `compute_examples` takes seconds)."""
    data: dict[str, dict[str, Any]] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return {rule: Example(**fields) for rule, fields in data.items()}


def main() -> None:
    EXAMPLES_FILE.write_text(to_json(compute_examples()), encoding="utf-8")
    print(f"wrote {EXAMPLES_FILE}")


if __name__ == "__main__":
    main()
