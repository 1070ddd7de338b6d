"""The sync job's life: its states, and every transition allowed between them, in one table.

A job is the durable promise that a record's current version reaches its tenant. Read the table
top-down to follow one job: the outbox queues it when the record is saved, a worker claims it, the
rules block it or let it wait on a dependency, the tool takes it (synced), refuses it (failed) or
does not answer (retried with backoff, and given up as dead after the last attempt). A fix saved by
a person, or a dependency that syncs, releases a held job; a person can retry one that gave up.

Who moves a job, and where:
- `sync/jobs.py` has one function per transition; the engine calls those, never writes a status.
- `store/outbox.py` queues and releases jobs inside the saving transaction (it sits below `sync`,
  so it writes its two transitions in SQL; `tests/sync/test_states.py` holds it to this table).

Every transition out of `in_flight` is guarded by the record version the worker pushed: if the
record was edited while its push was in flight, the job goes back to `pending` instead, keeping
what the push learned about the tool (any remote ID it earned, and `uncertain`: an unanswered push
may have created it, so it is looked up before anything is created), so the new version is pushed
as an update and never created twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from booksync.domain.types import SyncStatus
from booksync.errors import BooksyncError

PENDING = SyncStatus.PENDING
BLOCKED = SyncStatus.BLOCKED
IN_FLIGHT = SyncStatus.IN_FLIGHT
SYNCED = SyncStatus.SYNCED
FAILED = SyncStatus.FAILED
DEAD = SyncStatus.DEAD


@dataclass(frozen=True)
class Transition:
    """One allowed move: from any of `sources` to `target`, and why it happens."""

    name: str
    sources: frozenset[SyncStatus]
    target: SyncStatus
    why: str


def _t(name: str, sources: set[SyncStatus], target: SyncStatus, why: str) -> Transition:
    return Transition(name, frozenset(sources), target, why)


#: The whole state machine. A job is removed (not moved) when its record is deleted.
# fmt: off
TABLE: tuple[Transition, ...] = (
    #  transition     from                                             to
    _t("queue",       {PENDING, BLOCKED, SYNCED, FAILED, DEAD},        PENDING,
       "the record was saved (outbox); a job in flight stays in flight and lands as pending"),
    _t("claim",       {PENDING},                                       IN_FLIGHT,
       "a worker takes a due job"),
    _t("recover",     {IN_FLIGHT},                                     IN_FLIGHT,
       "a worker takes over a job whose lease ran out; if it was marked sent, it is looked up first"),
    _t("block",       {IN_FLIGHT},                                     BLOCKED,
       "a rule holds the record; the findings say why and what fixes it"),
    _t("wait",        {IN_FLIGHT},                                     PENDING,
       "a dependency (client, supplier, product) must sync first; look again later"),
    _t("requeue",     {IN_FLIGHT},                                     PENDING,
       "handed back unpushed (its tenant refused the connection); the rules hold it next"),
    _t("succeed",     {IN_FLIGHT},                                     SYNCED,
       "the tool created or updated it and gave its ID"),
    _t("reject",      {IN_FLIGHT},                                     FAILED,
       "the tool refused it for a reason a person must fix"),
    _t("retry_later", {IN_FLIGHT},                                     PENDING,
       "the call failed (rate limit, outage); try again after a backoff"),
    _t("defer",       {IN_FLIGHT},                                     PENDING,
       "its tenant's rate budget is spent or the tool asked to wait: due then, no attempt counted"),
    _t("lose_answer", {IN_FLIGHT},                                     PENDING,
       "the push may have landed but its answer was lost: look it up before creating again"),
    _t("adopt",       {IN_FLIGHT},                                     PENDING,
       "a create was refused as a duplicate of what an unanswered push made: linked, pushed again"),
    _t("give_up",     {IN_FLIGHT},                                     DEAD,
       "the last allowed attempt failed; a person retries it"),
    _t("release",     {BLOCKED, FAILED},                               PENDING,
       "a fix was saved, or a dependency synced, that may lift what held it"),
    _t("wake",        {PENDING},                                       PENDING,
       "the dependency it waited on synced: it is due now"),
    _t("resync",      {SYNCED},                                        PENDING,
       "a dependency that synced once is unlinked since: push it again"),
    _t("retry",       {PENDING, BLOCKED, SYNCED, FAILED, DEAD},        PENDING,
       "a person asked for it now, with a fresh count of attempts"),
    _t("take_tool",   {PENDING, BLOCKED, SYNCED, FAILED},              SYNCED,
       "a person took the tool's version into booksync (drift accepted, an invoice reissued): "
       "nothing to push"),
)
# fmt: on

TRANSITIONS: dict[str, Transition] = {t.name: t for t in TABLE}


class IllegalTransition(BooksyncError):
    """A transition was asked of a job in a state the table does not allow it from."""

    def __init__(self, transition: Transition, status: str, job: str = "") -> None:
        allowed = ", ".join(sorted(s.value for s in transition.sources))
        subject = f"sync job {job}" if job else "a sync job"
        super().__init__(
            f"cannot {transition.name} {subject} that is {status}: "
            f"{transition.name} moves a job from {allowed} to {transition.target.value}"
        )
        self.transition = transition
        self.status = status


def check(name: str, status: str, job: str = "") -> Transition:
    """The transition `name`, if it is allowed from `status`; otherwise `IllegalTransition`."""
    transition = TRANSITIONS[name]
    if SyncStatus(status) not in transition.sources:
        raise IllegalTransition(transition, status, job)
    return transition


def sources(*names: str) -> list[str]:
    """The states any of the transitions `names` moves a job from, for a bulk statement's filter."""
    found = {s.value for name in names for s in TRANSITIONS[name].sources}
    return sorted(found)


def reachable(status: SyncStatus) -> set[SyncStatus]:
    """Where a job in `status` can go next (for the docs and the tests)."""
    return {t.target for t in TABLE if status in t.sources}


__all__ = [
    "TABLE",
    "TRANSITIONS",
    "IllegalTransition",
    "Transition",
    "check",
    "reachable",
    "sources",
]
