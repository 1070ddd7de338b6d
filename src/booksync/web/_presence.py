"""The "no worker is running" banner every page shows while no worker has been seen for a minute.

The templates call `worker_presence()` (a global this module installs on the app's template
environment); the answer comes from `services.worker_presence`, read at each page's render.
"""

from __future__ import annotations

from booksync.services.worker_presence import WorkerPresence, store_presence
from booksync.web._context import Web


def install(web: Web) -> None:
    """Give `web`'s templates `worker_presence()`, read from `web.store`."""

    def worker_presence() -> WorkerPresence:
        return store_presence(web.store)

    web.env.globals["worker_presence"] = worker_presence


__all__ = ["install"]
