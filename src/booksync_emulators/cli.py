"""`booksync-emulator`: run an accounting-tool emulator in the foreground, for any client to use.

    booksync-emulator xero --port 8765 [--tenants 2] [--region AU,NZ] [--host 127.0.0.1]
    booksync-emulator quickbooks --port 8766 [--realms 2] [--account-numbers] [--host 127.0.0.1]

Either takes `--webhook-url URL --webhook-key KEY` to send signed webhooks for every change
(QuickBooks: `--webhook-shape legacy|cloudevents`; the key is its verifier token).

prints the base URLs (the tool's paths under one server), the app's client credentials and, for the
seeded tenants (Xero organisations, QuickBooks companies), tokens that work against it: Xero's
access token lasts 30 minutes, QuickBooks' one hour (real time). Ctrl+C stops it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from booksync_emulators.quickbooks import (
    API_PREFIX,
    DISCOVERY_PATH,
    QuickBooksEmulator,
)
from booksync_emulators.quickbooks import AUTHORIZE_PATH as QBO_AUTHORIZE_PATH
from booksync_emulators.quickbooks import REVOKE_PATH as QBO_REVOKE_PATH
from booksync_emulators.quickbooks import TOKEN_PATH as QBO_TOKEN_PATH
from booksync_emulators.server import EmulatorServer
from booksync_emulators.xero import (
    ACCOUNTING_PREFIX,
    AUTHORIZE_PATH,
    CONNECTIONS_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
    XeroEmulator,
)
from booksync_emulators.xero.seed import REGIONS


def _regions(text: str) -> tuple[str, ...]:
    regions = tuple(r.strip().upper() for r in text.split(",") if r.strip())
    unknown = [r for r in regions if r not in REGIONS]
    if not regions or unknown:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a list of regions: use {', '.join(REGIONS)} (comma-separated)"
        )
    return regions


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of 1 or more")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a port: use 0-65535 (0 picks a free one)"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="booksync-emulator", description="Local stand-ins for accounting tools, for testing."
    )
    tools = parser.add_subparsers(dest="tool", required=True)
    xero = tools.add_parser("xero", help="a local Xero (Accounting + Identity API subset)")
    xero.add_argument("--port", type=_port, required=True, help="TCP port (0 picks a free one)")
    xero.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    xero.add_argument("--tenants", type=_positive, default=1, help="organisations to seed (1)")
    xero.add_argument(
        "--region", type=_regions, default=("AU",), help="AU, NZ or UK; a list cycles over tenants"
    )
    xero.add_argument("--verbose", action="store_true", help="log every request to stderr")
    _webhook_flags(xero)
    qbo = tools.add_parser("quickbooks", help="a local QuickBooks Online (v3 API subset + OAuth)")
    qbo.add_argument("--port", type=_port, required=True, help="TCP port (0 picks a free one)")
    qbo.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    qbo.add_argument("--realms", type=_positive, default=1, help="companies to seed (1)")
    qbo.add_argument(
        "--account-numbers", action="store_true", help="give the chart of accounts AcctNum codes"
    )
    qbo.add_argument("--verbose", action="store_true", help="log every request to stderr")
    _webhook_flags(qbo)
    qbo.add_argument(
        "--webhook-shape", choices=("legacy", "cloudevents"), default="legacy",
        help="webhook payload: legacy eventNotifications or CloudEvents (legacy)",
    )  # fmt: skip
    return parser


def _webhook_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--webhook-url", help="send signed webhooks to this URL")
    parser.add_argument("--webhook-key", help="the key webhooks are signed with")


def _webhooks(emulator: XeroEmulator | QuickBooksEmulator, args: argparse.Namespace) -> str | None:
    """Configure webhooks from the flags; a message when the flags do not go together."""
    if not args.webhook_url and not args.webhook_key:
        return None
    if not (args.webhook_url and args.webhook_key):
        return "--webhook-url and --webhook-key go together: give both"
    try:
        if isinstance(emulator, QuickBooksEmulator):
            emulator.webhooks.configure(
                args.webhook_url, args.webhook_key, shape=args.webhook_shape
            )
        else:
            emulator.webhooks.configure(args.webhook_url, args.webhook_key)
    except ValueError as exc:
        return str(exc)
    return None


def _listen(
    emulator: XeroEmulator | QuickBooksEmulator, args: argparse.Namespace
) -> EmulatorServer | None:
    """The emulator's server on --host/--port, or None (after saying why) when it cannot listen."""
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    try:
        return emulator.serve(args.host, args.port, log=log)
    except OSError as exc:
        print(
            f"booksync-emulator: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
            "choose another --port (0 picks a free one)",
            file=sys.stderr,
        )
        return None


def _run(server: EmulatorServer, lines: list[str]) -> int:
    """Print what a client needs, then serve until Ctrl+C."""
    print("\n".join([*lines, "Press Ctrl+C to stop."]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def run_xero(args: argparse.Namespace) -> int:
    emulator = XeroEmulator()
    seeded = emulator.seed(args.tenants, regions=args.region)
    problem = _webhooks(emulator, args)
    if problem:
        print(f"booksync-emulator: {problem}", file=sys.stderr)
        return 2
    server = _listen(emulator, args)
    if server is None:
        return 2
    base = server.url
    lines = [
        f"Xero emulator listening on {base}",
        f"Accounting API: {base}{ACCOUNTING_PREFIX}",
        f"Connections: {base}{CONNECTIONS_PATH}",
        f"Token endpoint: {base}{TOKEN_PATH}",
        f"Revocation endpoint: {base}{REVOCATION_PATH}",
        f"Authorize endpoint: {base}{AUTHORIZE_PATH}",
        f"Client ID: {emulator.client.client_id}",
        f"Client secret: {emulator.client.client_secret}",
        *_webhook_line(emulator),
    ]
    for tenant in seeded:
        lines.append(f"Tenant: {tenant.tenant_id} {tenant.name} {tenant.currency}")
    lines += [
        f"Access token: {seeded[0].access_token}",
        f"Refresh token: {seeded[0].refresh_token}",
        "The access token works for every tenant above for 30 minutes; send it as "
        "'Authorization: Bearer <token>' with 'xero-tenant-id: <tenant id>'.",
    ]
    return _run(server, lines)


def run_quickbooks(args: argparse.Namespace) -> int:
    emulator = QuickBooksEmulator()
    seeded = emulator.seed(args.realms, account_numbers=args.account_numbers)
    problem = _webhooks(emulator, args)
    if problem:
        print(f"booksync-emulator: {problem}", file=sys.stderr)
        return 2
    server = _listen(emulator, args)
    if server is None:
        return 2
    base = server.url
    lines = [
        f"QuickBooks Online emulator listening on {base}",
        f"API base: {base}/v3",
        f"Discovery document: {base}{DISCOVERY_PATH}",
        f"Authorize endpoint: {base}{QBO_AUTHORIZE_PATH}",
        f"Token endpoint: {base}{QBO_TOKEN_PATH}",
        f"Revocation endpoint: {base}{QBO_REVOKE_PATH}",
        f"Client ID: {emulator.client.client_id}",
        f"Client secret: {emulator.client.client_secret}",
        *_webhook_line(emulator),
    ]
    for realm in seeded:
        lines += [
            f"Realm: {realm.realm_id} {realm.name} AUD",
            f"Company API: {base}{API_PREFIX}/{realm.realm_id}",
            f"Access token: {realm.access_token}",
            f"Refresh token: {realm.refresh_token}",
        ]
    lines.append(
        "Each access token works for its own company for one hour; send it as "
        "'Authorization: Bearer <token>' to the Company API above."
    )
    return _run(server, lines)


def _webhook_line(emulator: XeroEmulator | QuickBooksEmulator) -> list[str]:
    hooks = emulator.webhooks
    return [f"Webhooks: {hooks.url} (signed; key not shown)"] if hooks.configured else []


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.tool == "xero":
        return run_xero(args)
    if args.tool == "quickbooks":
        return run_quickbooks(args)
    return 2  # argparse already refused anything else


if __name__ == "__main__":
    sys.exit(main())
