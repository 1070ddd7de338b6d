"""`booksync explain RULE_ID`: the rule's page in the terminal; an unknown id is one line, exit 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from booksync.cli import app
from booksync.domain.rules import RULES
from booksync.services.rule_docs import rule_page

runner = CliRunner()


def test_explain_prints_the_rules_page_with_its_question_and_fix() -> None:
    result = runner.invoke(app, ["explain", "account_code.code_set"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert 'Is the "Code" field of that account code filled in?' in result.output
    assert "booksync account-code edit REF --code CODE" in result.output
    assert "account code 'Project Income' has an empty Code" in result.output  # the example


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_explain_markdown_is_the_docs_sites_page(rule_id: str) -> None:
    result = runner.invoke(app, ["explain", rule_id, "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout == rule_page(rule_id)


def test_an_unknown_rule_is_one_line_naming_the_value_and_the_accepted_ids() -> None:
    result = runner.invoke(app, ["explain", "tax.maped"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "'tax.maped'" in lines[0] and "is not a rule id" in lines[0]
    assert all(r.id in lines[0] for r in RULES)
    assert result.stdout == ""
