"""What an accounting tool's package gives booksync: the plug-in protocol.

A tool is one package that registers a `Tool` under the entry-point group `booksync.tools`
(see `registry.py` and docs/adding-a-tool.md). The `Tool` says what booksync needs to know before
anything is imported from the tool itself: its kind and label, how a tenant is connected, its
documented limits, its CLI sub-commands and its web tile. Everything heavy (HTTP clients, Beancount,
Typer command modules) is imported inside the methods, so `booksync --help` never pays for a tool it
is not asked about.

The tool never touches booksync's store: it is handed a `TenantLink` (what the store knows of one
tenant, with callbacks to persist refreshed credentials) and answers with data (`Connected`), which
the service layer records. Credentials are a plain mapping the tool defines; booksync stores it
encrypted and never shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from booksync.connectors.protocol import Connector, Limits, RemoteTenant

if TYPE_CHECKING:
    import typer

    from booksync.connectors.two_way import WebhookFormat

Secret = Mapping[str, Any]


class ConnectionMethod(StrEnum):
    """How a person connects a tenant of the tool."""

    #: booksync creates or opens the tenant's books in a folder on this machine (no account needed).
    FOLDER = "folder"
    #: A person signs in to the tool in a browser (OAuth 2.0) and authorises one or more tenants.
    OAUTH = "oauth"


@dataclass(frozen=True)
class TenantLink:
    """What booksync's store knows of one tenant, as the tool needs it to build a connector.

    `secret` is the credentials document the tool returned when the tenant was connected (decrypted);
    `save_secret` persists a changed one (a refreshed token) for every tenant of the same grant, and
    `load_secret` re-reads it (another worker may have refreshed it first).
    """

    remote_id: str
    name: str
    base_currency: str
    detail: str | None = None
    secret: Secret | None = field(default=None, repr=False)
    save_secret: Callable[[Secret], None] | None = field(default=None, repr=False)
    load_secret: Callable[[], Secret | None] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Connected:
    """One tenant a connect reached: the tool's view of it, where it lives, and its credentials."""

    remote: RemoteTenant
    #: Where the tenant lives (a folder, an API base URL): shown to admins, never a secret.
    detail: str | None = None
    secret: Secret | None = field(default=None, repr=False)


@dataclass
class ConnectRequest:
    """What a face asks of a connect.

    `wanted` is the tenant being connected (None: every tenant the sign-in authorises). `announce`
    shows a sign-in URL to the person; `options` carries the tool's own settings (a folder, an HTTP
    client or clock for tests).
    """

    wanted: TenantLink | None = None
    announce: Callable[[str], None] | None = None
    open_browser: Callable[[str], object] | None = None
    timeout: float = 300.0
    options: dict[str, Any] = field(default_factory=dict)


class Tool:
    """Base class for an accounting tool's plug-in. Subclasses set the class attributes and
    implement `connector` and `connect`; the rest has sensible defaults."""

    #: The integration's kind, as stored and typed (`booksync integration enable KIND`).
    kind: ClassVar[str]
    #: The tool's name as people know it ("Xero").
    label: ClassVar[str]
    #: Where the tool stands in lists (tiles, `integration list`): lower first, then by kind.
    order: ClassVar[int] = 100
    #: One line for the web tile and `booksync integration list`.
    summary: ClassVar[str] = ""
    connection: ClassVar[ConnectionMethod]
    #: What one tenant is called in the tool ("organisation", "company", "ledger").
    tenant_noun: ClassVar[str] = "tenant"
    #: What the tool calls a tenant's id ("Xero tenant id", "realm").
    remote_id_label: ClassVar[str] = "remote id"
    #: The tool's documented limits: batch sizes per record type, calls per minute, calls at once.
    limits: ClassVar[Limits]
    #: The optional extra (`pip install 'booksync[EXTRA]'`) providing the tool's third-party code.
    extra: ClassVar[str | None] = None
    #: The top-level packages that extra brings in (a missing one is said as the install command).
    extra_packages: ClassVar[tuple[str, ...]] = ()
    #: A logo (SVG) shipped inside the tool's package, for the web tile.
    logo: ClassVar[str | None] = None
    #: What a person needs before connecting (the settings to export, the redirect URI to register),
    #: shown by `booksync KIND connect --help` and on the web.
    connect_help: ClassVar[str] = ""
    #: How a person looks at a tenant's books; "{location}" stands for `location()`.
    view_hint: ClassVar[str] = ""
    #: What `check_books` runs, for messages ("beancount's loader").
    checker: ClassVar[str] = "the tool's own check"
    #: How the tool rounds a document's tax: "line" (each line's tax to the cent, then summed, as
    #: Xero does) or "document" (once per tax rate on the document, as QuickBooks does). booksync
    #: computes a document's total the same way, and checks the tool's answer against it.
    tax_rounding: ClassVar[str] = "line"

    def connector(self, link: TenantLink | None = None, **settings: Any) -> Connector:
        """A connector for the tenant `link` (None: one not bound to a stored tenant, for tests)."""
        raise NotImplementedError

    def connect(self, request: ConnectRequest) -> list[Connected]:
        """Connect: create or open the tenant's books, or run the sign-in; raise `ConnectorError`
        (or `booksync.errors.BadInput` for a missing setting) when it cannot."""
        raise NotImplementedError

    def commands(self) -> typer.Typer | None:
        """The tool's own CLI sub-commands, added as `booksync KIND ...` (None: it has none)."""
        return None

    def webhooks(self) -> WebhookFormat | None:
        """How the tool signs and shapes its webhooks (None: it sends none booksync can receive);
        `booksync serve` verifies and stores them at /api/v1/webhooks/KIND."""
        return None

    def check_books(self, link: TenantLink) -> list[str]:
        """The tool's own validation of what booksync wrote (e.g. Beancount's loader): problems."""
        return []

    def remote_id_problem(self, remote_id: str) -> str | None:
        """Why `remote_id` cannot name a tenant of this tool (checked when the tenant is saved),
        phrased to follow the value: "is not ...; accepted: ..."; None when it can."""
        return None

    def location(self, link: TenantLink) -> str | None:
        """Where a person looks at the tenant's books (a file, a URL), if the tool knows."""
        return link.detail

    def logo_svg(self) -> bytes | None:
        """The logo's bytes, read from the tool's own package."""
        if self.logo is None:
            return None
        package = type(self).__module__.rpartition(".")[0] or type(self).__module__
        return resources.files(package).joinpath(self.logo).read_bytes()

    def extra_providing(self, package: str) -> str | None:
        """The optional extra that installs the top-level `package` for this tool, if it is one."""
        return self.extra if package in self.extra_packages else None

    @property
    def has_commands(self) -> bool:
        """Whether `booksync KIND ...` exists: `connect` for a tool people sign in to, or the
        tool's own commands."""
        return self.connection is ConnectionMethod.OAUTH or type(self).commands is not Tool.commands

    @property
    def tenant_nouns(self) -> str:
        """The plural of `tenant_noun` ("companies")."""
        noun = self.tenant_noun
        return (
            noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
        )

    def __repr__(self) -> str:
        return f"<Tool {self.kind!r} ({self.label})>"
