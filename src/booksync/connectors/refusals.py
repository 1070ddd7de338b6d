"""A tool's refusal of one element, as every cloud connector answers it: the tool's own words kept
verbatim, and, where they map to a checklist rule, the rule id and the fix a person can run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from booksync.connectors.protocol import Outcome, PushItem, PushResult
from booksync.domain.fixes import Fix


@dataclass(frozen=True)
class Translation:
    """What a tool's message means for the checklist. `fix` is the command line a `PushResult`
    carries; `remedy` the same fix as data; `advice` words added to the tool's message."""

    rule: str | None
    fix: str | None
    advice: str = ""
    remedy: Fix | None = None


def refused(
    item: PushItem,
    reasons: Sequence[str],
    translation: Translation,
    *,
    request: Any = None,
    response: Any = None,
) -> PushResult:
    """The REJECTED result for `item`: the tool's reasons, then the advice, with rule and fix."""
    text = "; ".join(reasons)
    if translation.advice:
        text += f" ({translation.advice})"
    return PushResult(
        item.key,
        Outcome.REJECTED,
        item.remote_id,
        text,
        translation.rule,
        translation.fix,
        request=request,
        response=response,
    )
