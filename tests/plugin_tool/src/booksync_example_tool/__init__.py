"""An example accounting tool for booksync: one JSON file per tenant (see docs/adding-a-tool.md)."""
