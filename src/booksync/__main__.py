"""`python -m booksync`: the same command line as `booksync`."""

from booksync.cli import main

main()
