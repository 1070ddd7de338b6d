"""One page per rule id, made from the rule set: every rule has its page, every page and link names
a rule that exists, each page asks its rule's question, and its example is what the doctor says."""

from __future__ import annotations

import re
import shlex

import pytest

from booksync.domain.rules import RULES, RULES_BY_ID
from booksync.errors import BadInput
from booksync.services import rule_docs
from booksync.services.fixes import command_line
from booksync.services.rule_examples import compute_examples, kept_examples, to_json
from booksync.services.rule_prose import PROSE
from docs.docs_support import DOCS

RULE_IDS = [r.id for r in RULES]
#: Rules the sample books do not fail on purpose: their pages say so.
WITHOUT_EXAMPLE = {
    "contact.not_archived",
    "tax.purchase_mapped",
    "currency.enabled",
    "tracking.matches_tool",
    "document.number_free",
    "document.after_lock_date",
    "document.due_date_set",
    "document.editable_in_tool",
    "tool.accepted",
    "tool.totals_match",
}
QUESTION = re.compile(r"^\*\*Question:\*\* (.+)$", re.MULTILINE)
#: A link to a rule page from anywhere in the docs: `rules/<id>.md` or, inside rules/, `<id>.md`.
RULE_LINK = re.compile(r"\]\((?:\.\./)*(?:rules/)?([a-z_]+\.[a-z_]+)\.md(?:#[^)]*)?\)")


def written_pages() -> dict[str, str]:
    return {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md")}


def test_every_rule_has_prose_and_no_prose_outlives_its_rule() -> None:
    assert set(PROSE) == set(RULES_BY_ID)
    assert rule_docs.rule_ids() == RULE_IDS


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_each_page_asks_its_rules_question(rule_id: str) -> None:
    page = rule_docs.rule_page(rule_id)
    assert page.splitlines()[0] == f"# {rule_id}"
    assert QUESTION.findall(page) == [RULES_BY_ID[rule_id].question]
    for heading in RULES_BY_ID[rule_id].seed:
        assert f"*{heading}*" in page
    for section in ("Why it matters", "What makes it fail", "How to fix it", "Example"):
        assert f"## {section}" in page


def test_an_unknown_rule_id_is_refused_naming_the_accepted_ones() -> None:
    with pytest.raises(BadInput) as refused:
        rule_docs.rule_page("tax.maped")
    assert "'tax.maped'" in str(refused.value)
    assert all(rule_id in str(refused.value) for rule_id in RULE_IDS)


def test_every_rule_link_in_the_docs_names_a_rule_that_exists() -> None:
    generated = {
        "troubleshooting.md": rule_docs.guide_page(),
        "rules/index.md": rule_docs.rules_index_page(),
        **{rule_docs.page_path(r): rule_docs.rule_page(r) for r in RULE_IDS},
    }
    linked: set[str] = set()
    for path, text in (written_pages() | generated).items():
        for rule_id in RULE_LINK.findall(text):
            assert rule_id in RULES_BY_ID, f"{path} links to {rule_id!r}, which is not a rule"
            linked.add(rule_id)
    assert linked == set(RULES_BY_ID)  # the guide and the index reach every page


def test_no_rule_page_is_committed_where_the_generator_writes() -> None:
    assert not (DOCS / "rules").exists() or not list((DOCS / "rules").glob("*.md"))


def test_the_guide_follows_the_seed_order_and_reaches_every_rule() -> None:
    guide = rule_docs.guide_page()
    headings = re.findall(r"^## (.+)$", guide, re.MULTILINE)
    assert headings == [
        "Is the integration enabled?",
        "Is the entity set to sync?",
        "Is the client connected to the tenant?",
        "Are the products connected to the tenant?",
        "Is the supplier connected to the tenant?",
        "Are tax rates set?",
        "Are accounts codes set?",
        "Beyond the guide",
    ]
    for rule_id in RULE_IDS:
        assert f"(rules/{rule_id}.md)" in guide


def test_the_kept_examples_are_what_the_doctor_says_on_the_demo_books() -> None:
    fresh = compute_examples()
    assert to_json(fresh) == to_json(kept_examples()), (
        "src/booksync/services/rule_examples.json is stale: run "
        "`.venv/bin/python -m booksync.services.rule_examples`"
    )
    # Every rule the sample books fail on purpose has its example; the others turn on what the
    # tool holds or answers (its settings, contacts, documents; its answer to a push).
    assert set(fresh) == set(RULE_IDS) - WITHOUT_EXAMPLE


def _command(fix_line: str) -> str:
    """`booksync client edit` from a fix command: the command, without the record and options."""
    return " ".join(shlex.split(fix_line)[:3])


@pytest.mark.parametrize("rule_id", sorted(kept_examples()))
def test_the_page_lists_the_fix_the_doctor_gave_in_its_example(rule_id: str) -> None:
    example = kept_examples()[rule_id]
    page = rule_docs.rule_page(rule_id)
    assert example.detail in page and f"{example.status}: " in page
    assert example.fix is not None
    if rule_id.startswith("dependency.") and rule_id != "dependency.same_tenant":
        return  # the fix is the dependency's own, which its rule's page lists
    offered = {_command(command_line(n.fix)) for n in PROSE[rule_id].fixes if n.fix is not None}
    assert _command(example.fix) in offered


def test_docs_url_is_the_page_under_the_configured_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rule_docs.DOCS_URL_ENV, raising=False)
    assert rule_docs.docs_url("tax.mapped") == "rules/tax.mapped.html"
    monkeypatch.setenv(rule_docs.DOCS_URL_ENV, "https://docs.example.com/booksync/")
    assert (
        rule_docs.docs_url("tax.mapped")
        == "https://docs.example.com/booksync/rules/tax.mapped.html"
    )
