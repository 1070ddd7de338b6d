"""Sending writes to QuickBooks Online and reading each answer: the batch, the void operation, and
what an answer means for one record.

- A stale SyncToken (5010) is read again and the write sent once more.
- A customer or vendor refused with 6240 because a name of the *other* kind holds its name (a
  supplier that is also a client of the MSP: names are unique across customers, vendors and
  employees) is sent again as "Name (supplier)" / "Name (client)", its CompanyName keeping the real
  name; held by one of its own kind, the refusal stands (importing the tenant links it).
- A document refused for its customer or vendor (2500 / 610) is checked: an inactive one is the
  `contact.not_archived` rule, not a missing dependency.
- An accepted document carries what QuickBooks booked (`documents.booked`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from booksync.connectors.protocol import (
    ConnectorError,
    DocumentPayload,
    Outcome,
    PushItem,
    PushResult,
)
from booksync.connectors.quickbooks import documents, mapping
from booksync.connectors.quickbooks.api import ACTIVE_OR_NOT, CompanyApi, literal
from booksync.connectors.quickbooks.errors import (
    DUPLICATE_NAME,
    INVALID_REFERENCE,
    NOT_FOUND,
    FaultError,
    archived_contact,
    fault_errors,
    field_at_fault,
    stale,
    translate,
)
from booksync.connectors.refusals import refused
from booksync.domain.types import EntityType

NAME_LISTS = ("Customer", "Vendor", "Employee")


@dataclass(frozen=True)
class Pending:
    """One record on its way: its place in the push, the item, and the write made of it."""

    index: int
    item: PushItem
    write: mapping.Write


#: Make the write again with another display name (for a customer or vendor).
Rename = Callable[[PushItem, str], mapping.Write]


class Writer:
    def __init__(self, api: CompanyApi, tenant_names: Mapping[str, str], rename: Rename) -> None:
        self.api = api
        self.tenant_names = tenant_names
        self.rename = rename
        #: (realm, entity, reference) of the customers and vendors written under their
        #: disambiguated name: their later writes keep it
        self.renamed: set[tuple[str, EntityType, str]] = set()
        #: (realm, entity, reference) -> the display name a customer or vendor went with
        self.names: dict[tuple[str, EntityType, str], str] = {}

    # --- the batch --------------------------------------------------------------------------------

    def send(
        self, realm: str, entity: EntityType, chunk: list[Pending], *, again: bool = True
    ) -> dict[int, PushResult]:
        """One batch request; 5010s are read again and sent once more, 6240s held by the other
        kind of name sent once more under the disambiguated name."""
        name = mapping.ENTITIES[entity]
        results: dict[int, PushResult] = {}
        current = self.api.sync_tokens(
            realm, name, (p.item.remote_id for p in chunk if p.item.remote_id)
        )
        operations: list[tuple[Pending, dict[str, Any]]] = []
        for pending in chunk:
            body = pending.write.body
            remote_id = pending.item.remote_id
            if remote_id:
                token = current.get(remote_id)
                if token is None:
                    gone = FaultError(NOT_FOUND, "Object Not Found", f"{name} {remote_id}", "")
                    results[pending.index] = self.rejected(realm, pending, [gone], None)
                    continue
                body = {"Id": remote_id, "SyncToken": token, **body}
                if pending.write.operation == "update":
                    body["sparse"] = True
            operations.append((pending, body))
        if not operations:
            return results
        requests = [
            {"bId": str(n), "operation": pending.write.operation, name: body}
            for n, (pending, body) in enumerate(operations)
        ]
        answers = self.api.batch(realm, [p.item.key for p, _ in operations], requests)
        retry: list[Pending] = []
        taken: list[tuple[Pending, dict[str, Any], list[FaultError], Any]] = []
        for n, (pending, body) in enumerate(operations):
            answer = answers.get(str(n))
            if answer is None:
                results[pending.index] = PushResult(
                    pending.item.key,
                    Outcome.UNKNOWN,
                    pending.item.remote_id,
                    "QuickBooks' batch answer left this operation out",
                    request=body,
                )
                continue
            errors = fault_errors(answer.get("Fault"))
            if errors and again and stale(errors):
                self.api.forget(realm, name, str(pending.item.remote_id))
                retry.append(pending)
            elif errors and again and entity.is_party and _duplicate_name(errors):
                taken.append((pending, body, errors, answer))
            elif errors:
                results[pending.index] = self.rejected(realm, pending, errors, answer, body)
            else:
                results[pending.index] = self.accepted(realm, name, pending, answer.get(name), body)
        retry += self._renamed(realm, entity, taken, results)
        if retry:
            results.update(self.send(realm, entity, retry, again=False))
        return results

    def _renamed(
        self,
        realm: str,
        entity: EntityType,
        taken: list[tuple[Pending, dict[str, Any], list[FaultError], Any]],
        results: dict[int, PushResult],
    ) -> list[Pending]:
        """The 6240s to send again under a disambiguated name; the others rejected."""
        if not taken:
            return []
        try:
            holders = self._holders(realm, [str(b.get("DisplayName")) for _, b, _, _ in taken])
        except ConnectorError:  # unknown who holds them: the refusals stand
            holders = {}
        own = mapping.ENTITIES[entity]
        again: list[Pending] = []
        for pending, body, errors, answer in taken:
            held_by = holders.get(str(body.get("DisplayName")).casefold(), set())
            if held_by and own not in held_by:
                payload: Any = pending.item.payload
                display = mapping.disambiguated(payload.name, entity)
                write = self.rename(pending.item, display)
                self.names[(realm, entity, pending.item.reference)] = display
                self.renamed.add((realm, entity, pending.item.reference))
                again.append(replace(pending, write=write))
            else:
                results[pending.index] = self.rejected(realm, pending, errors, answer, body)
        return again

    def _holders(self, realm: str, names: list[str]) -> dict[str, set[str]]:
        """Which name lists hold each of `names` (casefolded): QuickBooks compares them so."""
        listed = ", ".join(literal(n) for n in dict.fromkeys(names))
        found: dict[str, set[str]] = {}
        for kind in NAME_LISTS:
            where = f"DisplayName IN ({listed}) AND {ACTIVE_OR_NOT}"
            for row in self.api.query(realm, kind, where):
                found.setdefault(str(row.get("DisplayName", "")).casefold(), set()).add(kind)
        return found

    # --- the void operation -------------------------------------------------------------------------

    def void(self, realm: str, entity: EntityType, pending: Pending) -> dict[int, PushResult]:
        """Void an invoice (its own operation, outside the batch), re-reading once on 5010."""
        name = mapping.ENTITIES[entity]
        remote_id = str(pending.item.remote_id)
        for attempt in (1, 2):
            token = self.api.sync_tokens(realm, name, [remote_id]).get(remote_id)
            if token is None:
                gone = FaultError(NOT_FOUND, "Object Not Found", f"{name} {remote_id}", "")
                return {pending.index: self.rejected(realm, pending, [gone], None)}
            body = {"Id": remote_id, "SyncToken": token}
            status, answer = self.api.operation(realm, name, "void", body, pending.item.key)
            errors = fault_errors(answer.get("Fault")) if isinstance(answer, dict) else []
            if errors and attempt == 1 and stale(errors):
                self.api.forget(realm, name, remote_id)
                continue
            if errors or status != 200:
                reason = errors or [FaultError("", "", f"status {status}", "")]
                return {pending.index: self.rejected(realm, pending, reason, answer, body)}
            returned = answer.get(name) if isinstance(answer, dict) else None
            return {pending.index: self.accepted(realm, name, pending, returned, body)}
        raise AssertionError("unreachable")  # pragma: no cover

    # --- one answer ---------------------------------------------------------------------------------

    def accepted(
        self, realm: str, name: str, pending: Pending, returned: Any, sent: dict[str, Any]
    ) -> PushResult:
        item = pending.item
        remote_id = returned.get("Id") if isinstance(returned, dict) else None
        if not remote_id:
            return PushResult(
                item.key,
                Outcome.UNKNOWN,
                item.remote_id,
                "QuickBooks answered without the object's Id",
                request=sent,
                response=returned,
            )
        if pending.write.operation == "delete":
            self.api.forget(realm, name, str(remote_id))
        else:
            self.api.remember(realm, name, returned)
        outcome = Outcome.UPDATED if item.remote_id else Outcome.CREATED
        booked = None
        if item.entity.is_document and pending.write.operation != "delete":
            booked = documents.booked(item.entity, returned)
        return PushResult(
            item.key, outcome, str(remote_id), booked=booked, request=sent, response=returned
        )

    def rejected(
        self,
        realm: str,
        pending: Pending,
        errors: list[FaultError],
        returned: Any,
        sent: dict[str, Any] | None = None,
    ) -> PushResult:
        item = pending.item
        translation = self._archived(realm, item, errors) or translate(
            errors,
            item.entity,
            self.tenant_names.get(realm, realm),
            item.reference,
            operation=pending.write.operation,
        )
        return refused(
            item,
            [str(e) for e in errors],
            translation,
            request=sent if sent is not None else pending.write.body,
            response=returned,
        )

    def _archived(self, realm: str, item: PushItem, errors: list[FaultError]) -> Any:
        """The translation for a document whose customer or vendor is inactive, else None."""
        payload = item.payload
        if not isinstance(payload, DocumentPayload) or not payload.contact_remote_id:
            return None
        purchase = item.entity is EntityType.PURCHASE_ORDER
        party_ref = "VendorRef" if purchase else "CustomerRef"
        if not any(
            e.code in (INVALID_REFERENCE, NOT_FOUND)
            and party_ref in (field_at_fault(e) or party_ref)
            for e in errors
        ):
            return None
        kind = "Vendor" if purchase else "Customer"
        where = f"Id = {literal(payload.contact_remote_id)} AND {ACTIVE_OR_NOT}"
        try:
            rows = self.api.query(realm, kind, where)
        except ConnectorError:  # the refusal stands as QuickBooks worded it
            return None
        if not rows or rows[0].get("Active", True) is not False:
            return None
        party = EntityType.SUPPLIER if purchase else EntityType.CLIENT
        return archived_contact(item.entity, party, payload.contact_name)


def _duplicate_name(errors: list[FaultError]) -> bool:
    return any(e.code == DUPLICATE_NAME for e in errors)
