"""One round's batches, taken tenant by tenant in turn: fair, and never held by a tenant that waits.

The engine claims a round of jobs (a full batch per tenant in turn: `claiming.py`), gates them,
and hands the ready ones here as batches. `Schedule.next` gives the next batch of the tenant whose
turn it is, skipping a tenant that has as many calls in flight as it allows at once (`cap`: the
tool's calls-in-flight limit; each call has a connector of its own) or whose budget frees a little
later (`later`). A tenant that must wait longer is taken out of the round (`drop`): its jobs are
handed back with a due time, and the round goes on with the others.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from booksync.domain.types import EntityType
from booksync.sync.gating import Group, Ready


@dataclass(frozen=True)
class Turn:
    """One batch: up to the tool's batch size of one tenant's ready records of one type."""

    tenant_id: int
    entity: EntityType
    chunk: list[Ready]


@dataclass
class Schedule:
    """The round's batches per tenant, given out round-robin."""

    queues: dict[int, deque[Turn]] = field(default_factory=dict)
    #: tenant id -> its calls in flight from this round.
    busy: Counter[int] = field(default_factory=Counter)
    #: tenant id -> how many calls it may have in flight at once from this process (default 1).
    cap: dict[int, int] = field(default_factory=dict)
    #: tenant id -> clock time before which its next batch may not go (its budget frees then).
    not_before: dict[int, float] = field(default_factory=dict)
    _order: deque[int] = field(default_factory=deque)
    _tries: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        groups: Mapping[Group, list[Ready]],
        batch_size: Callable[[int, EntityType], int],
        cap: Callable[[int], int] = lambda tenant: 1,
    ) -> Schedule:
        schedule = cls()
        for (tenant, entity), batch in groups.items():
            schedule.cap.setdefault(tenant, max(1, cap(tenant)))
            size = max(1, batch_size(tenant, entity))
            queue = schedule.queues.setdefault(tenant, deque())
            for start in range(0, len(batch), size):
                queue.append(Turn(tenant, entity, batch[start : start + size]))
        schedule._order.extend(schedule.queues)
        return schedule

    def next(self, now: float) -> Turn | None:
        """The next batch of the first tenant in turn that is free and due; it goes to the back."""
        for _ in range(len(self._order)):
            tenant = self._order[0]
            self._order.rotate(-1)
            queue = self.queues.get(tenant)
            if not queue or not self.free(tenant) or self.not_before.get(tenant, 0.0) > now:
                continue
            return queue.popleft()
        return None

    def free(self, tenant: int) -> bool:
        """Whether `tenant` may have one more call in flight."""
        return self.busy[tenant] < self.cap.get(tenant, 1)

    def sent(self, tenant: int) -> None:
        self.busy[tenant] += 1

    def answered(self, tenant: int) -> None:
        self.busy[tenant] -= 1

    def later(self, turn: Turn, at: float) -> None:
        """Put `turn` back at the head of its tenant's queue, not to go before `at`."""
        self.queues.setdefault(turn.tenant_id, deque()).appendleft(turn)
        self.not_before[turn.tenant_id] = at

    def busy_tries(self, tenant: int) -> int:
        """Count one more look that found the tenant's in-flight places all taken; how many."""
        self._tries[tenant] = self._tries.get(tenant, 0) + 1
        return self._tries[tenant]

    def drop(self, tenant: int) -> list[Ready]:
        """Take every batch of `tenant` out of the round; its jobs, to hand back."""
        queue = self.queues.pop(tenant, deque())
        return [ready for turn in queue for ready in turn.chunk]

    def drop_all(self) -> list[Ready]:
        return [ready for tenant in list(self.queues) for ready in self.drop(tenant)]

    @property
    def queued(self) -> bool:
        return any(self.queues.values())

    def wake_at(self) -> float | None:
        """When the earliest tenant held back by its budget may go again (None: none is)."""
        times = [self.not_before.get(t, 0.0) for t, q in self.queues.items() if q and self.free(t)]
        return min(times) if times else None


__all__ = ["Schedule", "Turn"]
