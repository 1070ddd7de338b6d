"""Text a database can store: the check every typed reference and input passes before a query.

Kept apart from `inputs.py` (the Pydantic input models) so that finding a record by the reference
a person typed, as the doctor does, needs no Pydantic model built.
"""

from __future__ import annotations

from booksync.errors import BadInput

UNSTORABLE = "contains a character that cannot be stored (NUL, or bytes that are not UTF-8)"
STORABLE = "text in UTF-8 without NUL characters"


def storable(text: str) -> bool:
    """Whether both databases can store `text`: no NUL and no unpaired surrogate (which is what
    a command-line argument that was not UTF-8 decodes to)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(text: str) -> str:
    """`text` safe to print or send as JSON: unstorable characters as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def check_text(field: str, text: str) -> str:
    """`text` if it can be stored, else BadInput naming `field`; for references that reach a
    query without passing through an input model (a record named on the command line)."""
    if not storable(text):
        raise BadInput(field, shown(text), UNSTORABLE, STORABLE)
    return text
