"""Stand-ins for accounting tools, for booksync's tests and benchmarks. Never imported by booksync.

- `recording.RecordingTool`: a generic tool that keeps every object it is asked to create (in memory
  or in a SQLite file that survives a killed process), with switchable faults.
- `xero.XeroEmulator`: a local Xero (Accounting + Identity API subset) served over HTTP; started by
  `booksync-emulator xero --port PORT` (`cli`) or in-process by tests.
- `quickbooks.QuickBooksEmulator`: a local QuickBooks Online (v3 API subset + Intuit OAuth) served
  over HTTP; started by `booksync-emulator quickbooks --port PORT` or in-process by tests.
- Shared by the HTTP emulators: `clock.VirtualClock`, `faults.FaultSwitches`, `server.EmulatorServer`
  (uvicorn on a background thread) serving `asgi` (a Starlette app around an emulator's blocking
  `exchange.App`), `oauth` (RFC 6749 pieces), `replay.ReplayCache` (idempotent replays),
  `ratelimit.SlidingWindow`, `jsontext` (exact-decimal JSON), `webhooks.WebhookDelivery` (signed
  webhooks from a background thread, retried, droppable on purpose).
"""
