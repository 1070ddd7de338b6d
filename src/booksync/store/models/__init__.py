"""The ORM tables. Field names follow the brief's glossary; every syncable record carries a version.

One module per subject (base, integrations, records, sync, auth, two_way, notifications,
activity); every name is importable from here, and importing this package registers every table
on `Base.metadata`, the view Alembic's autogenerate and `refuse_if_used` read.
"""

from __future__ import annotations

# Kept in this order: it is the order the tables join Base.metadata.
# isort: off
from booksync.store.models.base import NAMING, Base, Syncable, Timestamped
from booksync.store.models.integrations import (
    Integration,
    RemoteDocument,
    RemoteObject,
    Tenant,
    TenantTaxType,
)
from booksync.store.models.records import (
    SYNCABLE_MODELS,
    AccountCode,
    Client,
    Document,
    DocumentLine,
    ItemGroup,
    Product,
    Supplier,
    TaxRate,
    TaxRateMapping,
)
from booksync.store.models.sync import (
    RateBudgetCall,
    RateBudgetHold,
    SyncEvent,
    SyncJob,
    SyncJobBlocker,
    Worker,
)
from booksync.store.models.auth import ApiKey, SignInFailure, User
from booksync.store.models.two_way import InboundEvent, Payment, RemoteState, Watermark
from booksync.store.models.notifications import NotificationChannel
from booksync.store.models.activity import SyncPass, SyncPassTenant
# isort: on

__all__ = [
    "NAMING",
    "SYNCABLE_MODELS",
    "AccountCode",
    "ApiKey",
    "Base",
    "Client",
    "Document",
    "DocumentLine",
    "Integration",
    "InboundEvent",
    "ItemGroup",
    "NotificationChannel",
    "Payment",
    "RemoteDocument",
    "Product",
    "RateBudgetCall",
    "RateBudgetHold",
    "RemoteObject",
    "RemoteState",
    "SignInFailure",
    "Supplier",
    "SyncEvent",
    "SyncJob",
    "SyncJobBlocker",
    "SyncPass",
    "SyncPassTenant",
    "Syncable",
    "TaxRate",
    "TaxRateMapping",
    "Tenant",
    "TenantTaxType",
    "Timestamped",
    "Watermark",
    "Worker",
    "User",
]
