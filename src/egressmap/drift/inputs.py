"""Which kind of input NEW is: a policy file (it declares an ``egressmap.policy/...`` schema) or evidence."""

from __future__ import annotations

import re
import sys

__all__ = ["HEAD_BYTES", "policy_schema"]

HEAD_BYTES = 64 * 1024
"""How much of a file is read to find its schema (``build`` writes it first; JSON or YAML may put it anywhere
in the top-level mapping, hence a generous head)."""

_SCHEMA_KEY = re.compile(
    rb"""^[ \t{]*["']?schema["']?[ \t]*:[ \t]*["']?(egressmap\.policy/[^\s"',}]*)""", re.M
)


def policy_schema(path: str) -> str | None:
    r"""The ``egressmap.policy/...`` schema ``path`` declares, or None when it declares none (it is evidence).

    Any version counts: a policy of another version is then refused by the policy reader with its own message,
    not read as a log. ``-`` looks at what stdin holds without consuming it (when stdin can be peeked at). A
    file that cannot be opened is left to the evidence reader, which reports it.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "p.yaml").write_text("schema: egressmap.policy/2\nentries: []\n")
    >>> _ = (d / "r.log").write_text('{"version":"1.100000","query_name":"pypi.org."}\n')
    >>> policy_schema(str(d / "p.yaml")), policy_schema(str(d / "r.log"))
    ('egressmap.policy/2', None)
    """
    if path == "-":
        peek = getattr(getattr(sys.stdin, "buffer", None), "peek", None)
        head = peek(HEAD_BYTES)[:HEAD_BYTES] if peek is not None else b""
    else:
        try:
            with open(path, "rb") as f:
                head = f.read(HEAD_BYTES)
        except OSError:
            return None
    found = _SCHEMA_KEY.search(head)
    return found.group(1).decode("ascii", "replace") if found else None
