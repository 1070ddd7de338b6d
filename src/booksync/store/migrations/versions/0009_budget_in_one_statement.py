"""rate budget in one statement: PostgreSQL functions that check and count a call in every lane,
correct a lane from the tool's headers and take an in-flight place, each in one round trip (issue 12)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 17:40:00.000000

Why functions: a budget transaction that spans several round trips holds its lanes' locks while
its worker runs between them; every worker waits on the app lane meanwhile, and a worker paused
there (SIGSTOP) keeps them. A function call is one statement: it runs, commits and frees its locks
on the server alone. Each statement inside a function sees what committed before it, so the counts
read after the locks are the current ones. SQLite keeps its budget in the process: nothing to do.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Locks every lane (the caller sorts `locks`: one order everywhere, no deadlock), reads the holds,
#: counts each lane's window and counts the call in all of them, or in none when one is full.
#: Peeks (`counting` false) take no lock and delete nothing. The caller decides the wait with
#: pyrate-limiter from `counted` and `blocking` (the call at `offsets[i]` from the newest).
TAKE = """
CREATE OR REPLACE FUNCTION booksync_budget_take(
    holds text[], lanes text[], locks bigint[], starts bigint[], rooms integer[],
    offsets integer[], now_ms bigint, counting boolean,
    OUT held bigint, OUT counted integer[], OUT blocking bigint[], OUT taken boolean
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_id bigint;
BEGIN
    counted := '{}';
    blocking := '{}';
    taken := false;
    IF counting THEN
        FOREACH lock_id IN ARRAY locks LOOP
            PERFORM pg_advisory_xact_lock(lock_id);
        END LOOP;
    END IF;
    SELECT max(h.until_ms) INTO held FROM rate_budget_holds h WHERE h.lane = ANY (holds);
    IF held > now_ms THEN
        RETURN;
    END IF;
    taken := counting;
    FOR i IN 1 .. coalesce(array_length(lanes, 1), 0) LOOP
        IF counting THEN
            DELETE FROM rate_budget_calls c WHERE c.lane = lanes[i] AND c.at_ms < starts[i] - 1;
        END IF;
        counted[i] := (SELECT count(*) FROM rate_budget_calls c
                       WHERE c.lane = lanes[i] AND c.at_ms >= starts[i]);
        IF counted[i] > rooms[i] THEN
            taken := false;
            blocking[i] := (SELECT c.at_ms FROM rate_budget_calls c WHERE c.lane = lanes[i]
                            ORDER BY c.at_ms DESC OFFSET greatest(offsets[i], 0) LIMIT 1);
        END IF;
    END LOOP;
    IF taken THEN
        INSERT INTO rate_budget_calls (lane, at_ms) SELECT unnest(lanes), now_ms;
    END IF;
END
$$
"""

#: Phantom calls now, so that the lane holds at least `at_least` in its window.
FILL = """
CREATE OR REPLACE FUNCTION booksync_budget_fill(
    lane_key text, lock_id bigint, start bigint, at_least integer, now_ms bigint
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    missing integer;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_id);
    DELETE FROM rate_budget_calls c WHERE c.lane = lane_key AND c.at_ms < start - 1;
    missing := at_least - (SELECT count(*) FROM rate_budget_calls c
                           WHERE c.lane = lane_key AND c.at_ms >= start);
    IF missing > 0 THEN
        INSERT INTO rate_budget_calls (lane, at_ms)
        SELECT lane_key, now_ms FROM generate_series(1, missing);
    END IF;
    RETURN greatest(missing, 0);
END
$$
"""

#: The first free of a tenant's in-flight places (a session-level lock, kept by the connection
#: until the call leaves it), or NULL when every one is taken.
ENTER = """
CREATE OR REPLACE FUNCTION booksync_budget_enter(places bigint[])
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(places, 1), 0) LOOP
        IF pg_try_advisory_lock(places[i]) THEN
            RETURN i - 1;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$
"""

FUNCTIONS = (
    "booksync_budget_take(text[], text[], bigint[], bigint[], integer[], integer[], bigint, "
    "boolean)",
    "booksync_budget_fill(text, bigint, bigint, integer, bigint)",
    "booksync_budget_enter(bigint[])",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (TAKE, FILL, ENTER):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
