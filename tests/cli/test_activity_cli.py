"""`booksync activity`: a pass run from the command line shows up in the per-hour series, the last
pass per tenant and the pass log; bad options exit 2 naming the option's field."""

from __future__ import annotations

import json

from cli_support import invoke, ok, seed


def test_a_sync_run_shows_up_in_the_activity(db_url: str) -> None:
    seed(db_url)  # its Xero tenant is not connected: every record stands blocked
    ok(db_url, "sync", "run")
    ok(db_url, "sync", "run")  # nothing due: an idle pass is not recorded
    report = json.loads(ok(db_url, "activity", "--json").stdout)
    [run] = report["log"]["passes"]
    assert run["blocked"] == 3 and run["synced"] == 0 and run["trigger"] == "cli"
    [last] = report["last_passes"]
    assert (last["tenant"], last["blocked"], last["blocked_now"]) == ("Acme AU", 3, 3)
    assert report["series"][-1]["blocked"] == 3
    text = ok(db_url, "activity", "--tenant", "Acme AU", "--range", "7d").stdout
    assert "Blocked records now: 3." in text
    assert "Last pass per tenant" in text and "Passes, page 1 of 1 (1 in all" in text


def test_an_empty_store_says_how_to_get_activity(db_url: str) -> None:
    text = ok(db_url, "activity").stdout
    assert "No pushes or failures in the last 24h (all tenants)." in text
    assert "No pass recorded yet: run `booksync sync run`" in text


def test_bad_options_exit_2_naming_the_field(db_url: str) -> None:
    span = invoke(db_url, "activity", "--range", "1y")
    assert span.exit_code == 2
    assert "range: '1y' is not a range the chart shows; accepted: '24h', '7d'" in span.output
    page = invoke(db_url, "activity", "--page", "0")
    assert page.exit_code == 2 and "page: 0 is not a page number" in page.output
