"""Errors every face shows the same way (defined in `booksync.errors`, below every layer)."""

from __future__ import annotations

from booksync.errors import BadInput, BooksyncError, Conflict, NotFound, one_of

__all__ = ["BadInput", "BooksyncError", "Conflict", "NotFound", "one_of"]
