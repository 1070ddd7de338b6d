"""The store: billing records, integrations and sync jobs in SQLite or PostgreSQL."""
