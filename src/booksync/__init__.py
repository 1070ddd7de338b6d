"""booksync: keeps an accounting tool in step with service-desk billing, and says why a record is not syncing."""

__version__ = "0.1.0"
