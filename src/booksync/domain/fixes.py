"""A fix as data: what a person changes to clear a finding, for each face to say in its own words.

A `Fix` is one action from a small closed set, the record it acts on (`subject`) and the field, plus
the few parameters that action needs (the value to set, the tenant, the entity types to tick). The
CLI turns it into a command line, the web admin into a link to the page and field, the API into
JSON (`booksync.services.fixes`); the domain never words it. A value left None is one the person
chooses (the CLI shows a placeholder such as CODE, the web an empty field).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from booksync.domain.records import Subject
from booksync.domain.types import EntityType

#: The `ref` of a subject nobody can name yet (e.g. the tax rate a tool's refusal is about).
UNNAMED = "?"


class Action(StrEnum):
    """Everything a fix can ask for. Each face must render every one (a test holds them to it)."""

    #: Enable the integration `subject` (its ref is the tool's kind).
    ENABLE_INTEGRATION = "enable_integration"
    #: Tick entity types in "Entities to Sync" of the integration `subject`; `entities` is the whole
    #: set to tick, the missing type included, because the setting is replaced as a whole.
    TICK_ENTITIES = "tick_entities"
    #: Connect (or reconnect) the tenant `subject`.
    CONNECT_TENANT = "connect_tenant"
    #: Import the tenant `subject`'s account codes, tax types, contacts and items again.
    IMPORT_TENANT = "import_tenant"
    #: Set `field` of the record `subject` to `value` (None: the person chooses it).
    SET_FIELD = "set_field"
    #: Map the tax rate `subject` to a tax type (`value`, None: the person chooses) of `tenant`.
    MAP_TAX_RATE = "map_tax_rate"
    #: Queue the record `subject`'s sync again.
    RETRY_SYNC = "retry_sync"
    #: Follow what a connector advised about the tool's refusal of `subject`, kept verbatim in
    #: `advice` (the fix string a `PushResult` carries).
    TOOL_ADVICE = "tool_advice"


@dataclass(frozen=True, slots=True)
class Fix:
    """How to clear a finding: an action on a record's field, with what the action needs."""

    action: Action
    subject: Subject
    field: str | None = None
    #: SET_FIELD and MAP_TAX_RATE: the value to set; None where the person must choose it.
    value: str | bool | None = None
    #: MAP_TAX_RATE: the tenant whose tax type the rate maps to.
    tenant: Subject | None = None
    #: TICK_ENTITIES: every entity type to tick, in the usual order.
    entities: tuple[EntityType, ...] = ()
    #: TOOL_ADVICE: the connector's advice, as it wrote it.
    advice: str | None = None


def enable_integration(integration: Subject) -> Fix:
    return Fix(Action.ENABLE_INTEGRATION, integration, "enabled")


def tick_entities(integration: Subject, entities: Iterable[EntityType]) -> Fix:
    wanted = set(entities)
    ordered = tuple(e for e in EntityType if e in wanted)
    return Fix(Action.TICK_ENTITIES, integration, "entities_to_sync", entities=ordered)


def connect_tenant(tenant: Subject) -> Fix:
    return Fix(Action.CONNECT_TENANT, tenant, "connection")


def import_tenant(tenant: Subject) -> Fix:
    return Fix(Action.IMPORT_TENANT, tenant)


def set_field(subject: Subject, field: str, value: str | bool | None = None) -> Fix:
    return Fix(Action.SET_FIELD, subject, field, value)


def map_tax_rate(rate: Subject, tenant: Subject, tax_type: str | None = None) -> Fix:
    return Fix(Action.MAP_TAX_RATE, rate, "tax_types", tax_type, tenant=tenant)


def retry_sync(record: Subject) -> Fix:
    return Fix(Action.RETRY_SYNC, record)


def tool_advice(record: Subject, advice: str) -> Fix:
    return Fix(Action.TOOL_ADVICE, record, advice=advice)


def map_purchase_tax_rate(rate: Subject, tenant: Subject, tax_type: str | None = None) -> Fix:
    """Map the rate's purchase side (purchase orders) to a tax type of `tenant`."""
    return Fix(Action.MAP_TAX_RATE, rate, "purchase_tax_types", tax_type, tenant=tenant)


def renumber(document: Subject) -> Fix:
    """Give the document a number the tool does not hold yet (the person chooses it)."""
    return Fix(Action.SET_FIELD, document, "number")


def correct_in_tool(record: Subject, advice: str) -> Fix:
    """Something only a person in the tool can settle (what it booked, an archived contact)."""
    return Fix(Action.TOOL_ADVICE, record, advice=advice)
