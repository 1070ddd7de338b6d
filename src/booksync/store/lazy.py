"""A read-only mapping that reads each row on first use: how `Books` holds the large tables.

The doctor looks at a handful of records and the engine at one round's worth; neither should read
every client, supplier and product first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Generic, TypeVar

from booksync.store.bulk import chunked

K = TypeVar("K")
V = TypeVar("V")


class LazyMapping(Mapping[K, V], Generic[K, V]):
    """A read-only mapping that loads each missing key once, on first use.

    `prime(keys)` loads many keys in one query, for callers (the engine) that know what they need.
    """

    def __init__(
        self,
        load: Callable[[K], V | None],
        load_many: Callable[[list[K]], dict[K, V]] | None = None,
    ) -> None:
        self._load = load
        self._load_many = load_many
        self._rows: dict[K, V | None] = {}

    def prime(self, keys: Iterable[K]) -> None:
        missing = list(dict.fromkeys(k for k in keys if k not in self._rows))
        if not missing:
            return
        if self._load_many is None:
            for key in missing:
                self._rows[key] = self._load(key)
            return
        for part in chunked(missing):
            found = self._load_many(list(part))
            for key in part:
                self._rows[key] = found.get(key)

    def __getitem__(self, key: K) -> V:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        """`Mapping.get` without its `try: self[key]`: a round reads hundreds of thousands."""
        row = self._rows.get(key)
        if row is None and key not in self._rows:
            row = self._rows[key] = self._load(key)
        return default if row is None else row

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[K]:
        return iter(k for k, v in self._rows.items() if v is not None)

    def __len__(self) -> int:
        return sum(1 for v in self._rows.values() if v is not None)
