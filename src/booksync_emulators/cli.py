"""`booksync-emulator`: run an accounting-tool emulator in the foreground, for any client to use.

    booksync-emulator xero --port 8765 [--tenants 2] [--region AU,NZ] [--host 127.0.0.1]

prints the base URLs (Xero's paths under one server), the app's client credentials and, for the
seeded tenants, an access token (30 minutes, real time) and a refresh token that work against it.
Ctrl+C stops it. A `quickbooks` subcommand will sit beside `xero`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
    return parser


def run_xero(args: argparse.Namespace) -> int:
    emulator = XeroEmulator()
    seeded = emulator.seed(args.tenants, regions=args.region)
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    try:
        server = emulator.serve(args.host, args.port, log=log)
    except OSError as exc:
        print(
            f"booksync-emulator: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
            "choose another --port (0 picks a free one)",
            file=sys.stderr,
        )
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
    ]
    for tenant in seeded:
        lines.append(f"Tenant: {tenant.tenant_id} {tenant.name} {tenant.currency}")
    lines += [
        f"Access token: {seeded[0].access_token}",
        f"Refresh token: {seeded[0].refresh_token}",
        "The access token works for every tenant above for 30 minutes; send it as "
        "'Authorization: Bearer <token>' with 'xero-tenant-id: <tenant id>'.",
        "Press Ctrl+C to stop.",
    ]
    print("\n".join(lines), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.tool == "xero":
        return run_xero(args)
    return 2  # argparse already refused anything else


if __name__ == "__main__":
    sys.exit(main())
