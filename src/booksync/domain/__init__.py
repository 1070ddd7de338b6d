"""The domain core: records, money, tax resolution and the sync rules. Pure: no I/O, no store."""
