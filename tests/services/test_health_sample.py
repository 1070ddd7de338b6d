"""The health report over the sample books finds every deliberate fault, with the right root cause,
and nothing else: on SQLite and PostgreSQL.

`DELIBERATE_FAULTS` states what each rule says once the ledger tenants are connected and their
charts imported, so the books are loaded and then connected and imported through the services
`booksync tenant connect` and `booksync tenant import` call.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from booksync.domain.evaluation import Evaluator, readiness_of
from booksync.domain.findings import Finding, Readiness, Status
from booksync.domain.rules import holds
from booksync.services.doctor import HealthReport, health_report
from booksync.services.fixes import command_line
from booksync.services.sample import DELIBERATE_FAULTS, TENANTS, Fault, load_sample
from booksync.services.tenants import connect_tenant, import_from_tool
from booksync.store.books import iter_document_views, load_books
from booksync.store.db import Store

Key = tuple[str, str, str, str | None]
Ref = tuple[str, str]


@dataclass
class Checked:
    report: HealthReport
    #: (record type, reference) -> how the record stands
    readiness: dict[Ref, Readiness]
    #: (record type, reference) -> the root causes that block it or that it waits to have checked
    roots: dict[Ref, set[Key]]
    total: int


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def checked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Checked]:
    """The default sample with its ledger tenants connected and imported, and its health report."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("health") / "sample.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:  # dropped when the session ends (conftest.pg_scratch)
        url = request.getfixturevalue("pg_scratch")("booksync_health")
    store = Store(url)
    ledgers = tmp_path_factory.mktemp("ledgers")
    try:
        with store.session() as s:
            load_sample(s)
        with store.session() as s:
            for name, integration, _, _ in TENANTS:
                if integration == "ledger":
                    connect_tenant(s, name, directory=ledgers)
                    import_from_tool(s, name)
        with store.session() as s:
            report = health_report(s)
            books = load_books(s, whole=True)
            records = [
                *books.clients.values(),
                *books.suppliers.values(),
                *books.products.values(),
                *iter_document_views(s),
            ]
            evaluator = Evaluator(books)
            readiness: dict[Ref, Readiness] = {}
            roots: dict[Ref, set[Key]] = {}
            for record in records:
                ref = (record.type.value, record.subject.ref)
                problems = evaluator.problems(record)
                readiness[ref] = readiness_of(problems)
                roots[ref] = {
                    _key(p.root)
                    for p in problems
                    if p.status is Status.BLOCKED or (p.status is Status.UNKNOWN and holds(p.rule))
                }
        yield Checked(report, readiness, roots, len(records))
    finally:
        store.dispose()


def _key(finding: Finding) -> Key:
    return (finding.rule, finding.subject.type, finding.subject.ref, finding.field)


def _fault_key(fault: Fault) -> Key:
    return (fault.rule, fault.cause_type, fault.cause, fault.field)


def _held(fault: Fault) -> list[Ref]:
    return [(fault.record_type, fault.reference), *fault.blocked]


@pytest.mark.parametrize(
    "fault", DELIBERATE_FAULTS, ids=lambda f: f"{f.rule}-{f.record_type}-{f.reference}"
)
def test_each_deliberate_fault_is_found_with_its_root_cause(checked: Checked, fault: Fault) -> None:
    causes = checked.report.blockers if fault.status == "blocked" else checked.report.unknowns
    found = {_key(cause.finding): cause for cause in causes}
    key = _fault_key(fault)
    assert key in found, f"{key} not among {sorted(found)}"
    cause = found[key]
    assert cause.finding.status.value == fault.status
    assert cause.finding.fix is not None and command_line(cause.finding.fix).startswith("booksync ")
    for kind, _ in _held(fault):
        assert cause.counts[kind] >= 1, (kind, cause.counts)
    for ref in _held(fault):
        assert checked.readiness[ref] is Readiness.BLOCKED, ref
        assert key in checked.roots[ref], (ref, checked.roots[ref])


def test_every_blocked_record_is_one_held_on_purpose(checked: Checked) -> None:
    faulty = {ref for fault in DELIBERATE_FAULTS for ref in _held(fault)}
    blocked = {ref for ref, r in checked.readiness.items() if r is Readiness.BLOCKED}
    assert blocked == faulty
    assert checked.report.counts[Readiness.BLOCKED] == len(faulty)


def test_every_root_cause_reported_blocks_only_records_held_on_purpose(checked: Checked) -> None:
    faulty = {ref for fault in DELIBERATE_FAULTS for ref in _held(fault)}
    deliberate = {_fault_key(fault) for fault in DELIBERATE_FAULTS}
    for cause in checked.report.blockers:
        key = _key(cause.finding)
        holding = {ref for ref, roots in checked.roots.items() if key in roots}
        assert holding <= faulty, (key, holding - faulty)
        assert cause.total == len(holding)
        if key not in deliberate:  # a second fault of a held record, e.g. a mismatched rate
            assert holding, key


def test_the_report_counts_every_record_once(checked: Checked) -> None:
    report = checked.report
    assert report.total == checked.total == len(checked.readiness)
    for readiness in Readiness:
        by_type = sum(counts[readiness] for counts in report.by_type.values())
        mine = sum(1 for r in checked.readiness.values() if r is readiness)
        assert report.counts[readiness] == by_type == mine, readiness
    ranked = [cause.total for cause in report.blockers]
    assert ranked == sorted(ranked, reverse=True)
