"""Reading Xero's answers into each record's result, and the keys that make a repeated write safe.

A write's `Idempotency-Key` comes from the record versions and the exact body, so Xero replays a
repeated request and refuses a reused key with a different body. Answers are read per element:
the collection on a 200, a ValidationException's Elements on a 400, with every ValidationErrors
message of an element and its lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx

from booksync.connectors.protocol import ConnectorError, Outcome, PushItem, PushResult
from booksync.connectors.refusals import refused as refusal
from booksync.connectors.wire import dumps, parse_json, problem_detail
from booksync.connectors.xero import mapping
from booksync.connectors.xero.errors import translate

#: Idempotency-Key: Xero accepts up to 128 characters.
MAX_KEY = 128


def batch_key(items: Sequence[PushItem], body: Any) -> str:
    """One Idempotency-Key per request: the same record versions with the same body replay; any
    change to the body (Xero answers 400 to a reused key with a different request) gets a new key."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.key.encode() + b"\0")
    digest.update(dumps(body).encode())
    return ("bs-" + digest.hexdigest())[:MAX_KEY]


def where_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def json_of(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content)
    except ValueError:
        raise ConnectorError(
            f"Xero answered {response.status_code} with something other than JSON"
        ) from None


def elements(answer: Any, collection: str) -> list[dict[str, Any]] | None:
    """The per-element answers: the collection (200) or a ValidationException's Elements (400)."""
    if not isinstance(answer, dict):
        return None
    rows = answer.get(collection)
    if not isinstance(rows, list):
        rows = answer.get("Elements")
    if not isinstance(rows, list):
        return None
    return [r if isinstance(r, dict) else {} for r in rows]


def messages(data: Any) -> list[str]:
    """Every ValidationErrors message on an element (and its lines), or on a 400's Elements."""
    found: list[str] = []
    if isinstance(data, dict):
        for error in data.get("ValidationErrors") or []:
            if isinstance(error, dict) and error.get("Message"):
                found.append(str(error["Message"]))
        for key in ("LineItems", "Elements"):
            for child in data.get(key) or []:
                found.extend(m for m in messages(child) if m not in found)
    return found


def slim(returned: Any) -> Any:
    """The element as Xero answered it, without the bulky parts the timeline does not need."""
    if not isinstance(returned, dict):
        return returned
    return {
        k: v
        for k, v in returned.items()
        if k
        not in {
            "Attachments",
            "Payments",
            "Prepayments",
            "Overpayments",
            "CreditNotes",
            "Addresses",
            "Phones",
            "ContactPersons",
        }
    }


def accepted(
    endpoint: mapping.Endpoint,
    pushed: list[PushItem],
    sent: list[dict[str, Any]],
    answered: list[dict[str, Any]],
    tenant_name: str,
) -> list[PushResult]:
    """A 200 answers every element: created or updated with its id, or refused with its reasons."""
    results = []
    for item, element, returned in zip(pushed, sent, answered, strict=True):
        errors = messages(returned)
        failed = (
            errors
            or returned.get("StatusAttributeString") == "ERROR"
            or returned.get("HasErrors") is True
            or returned.get("HasValidationErrors") is True
        )
        remote_id = returned.get(endpoint.id_field)
        if failed or not remote_id:
            reason = errors or ["Xero did not accept it and gave no reason"]
            results.append(rejected(item, element, reason, returned, tenant_name))
            continue
        outcome = Outcome.UPDATED if item.remote_id else Outcome.CREATED
        results.append(
            PushResult(item.key, outcome, str(remote_id), request=element, response=slim(returned))
        )
    return results


def refused(
    endpoint: mapping.Endpoint,
    pushed: list[PushItem],
    sent: list[dict[str, Any]],
    answer: Any,
    response: httpx.Response,
    tenant_name: str,
) -> list[PushResult]:
    """A 400 refuses the whole request: nothing in it was applied. Elements Xero names get its
    reasons; the others were held back only by them, so they go again (outcome unknown: the
    engine looks them up first, which costs one read and can never duplicate)."""
    answered = elements(answer, endpoint.collection) or []
    if len(answered) == len(pushed):
        paired: list[Any] = answered
    else:  # a summarised answer lists only the failed elements: pair them by number/code
        number = endpoint.number_field or ""
        by_number = {str(a.get(number)): a for a in answered if a.get(number)}
        paired = [by_number.get(str(e.get(number))) for e in sent]
    general = [] if answered else (messages(answer) or [problem_detail(response)])
    results = []
    for item, element, returned in zip(pushed, sent, paired, strict=True):
        reasons = messages(returned) or general
        if reasons:
            results.append(rejected(item, element, reasons, returned or answer, tenant_name))
        else:
            results.append(
                PushResult(
                    item.key,
                    Outcome.UNKNOWN,
                    item.remote_id,
                    "not applied: Xero refused other elements of the same batch",
                    request=element,
                )
            )
    return results


def rejected(
    item: PushItem,
    element: dict[str, Any],
    reasons: list[str],
    returned: Any,
    tenant_name: str,
) -> PushResult:
    """A refused record, with Xero's words and the rule id and fix they translate to."""
    translation = translate(reasons, item.entity, tenant_name, item.reference)
    return refusal(item, reasons, translation, request=element, response=slim(returned))
