"""Benchmarks: `python -m bench` (or `make bench`) runs every module here that defines `main()`.

Benchmarks print figures; they assert nothing about time, so a slow machine never fails a build.
"""
