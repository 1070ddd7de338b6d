"""The declarative base and the columns every table shares: one `MetaData` with one naming
convention, so Alembic's autogenerate sees the same constraint names as the migrations."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from booksync.domain.types import EntityType
from booksync.store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Syncable(Timestamped):
    """A record that is pushed to the accounting tool: every create or edit bumps `version`."""

    entity_type: ClassVar[EntityType]
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[str | None] = mapped_column(String(255))

    @property
    def reference(self) -> str:
        raise NotImplementedError
