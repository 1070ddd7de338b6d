"""Stand-ins for accounting tools, for booksync's tests and benchmarks. Never imported by booksync.

- `recording.RecordingTool`: a generic tool that keeps every object it is asked to create (in memory
  or in a SQLite file that survives a killed process), with switchable faults.
"""
