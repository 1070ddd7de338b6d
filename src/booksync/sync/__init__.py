"""The sync engine: works through the outbox's sync jobs, in dependency order, at each tool's pace."""
