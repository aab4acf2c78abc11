"""The process's open-files limit: raised as far as allowed at start, and running out told apart from DNS.

Every target in flight holds a socket (two while its A and AAAA queries run), so a run at concurrency 200
needs a few hundred descriptors on top of the interpreter's own. Under the common soft limit of 1,024 a large
run used to run out, and dnspython reported the failed sockets as ``SERVFAIL``. The soft limit is raised to
the hard limit (what an unprivileged process may do) and an EMFILE or ENFILE anywhere in a probe is reported
as stage ``local``: this machine could not run the probe, which says nothing about the network path.
"""

from __future__ import annotations

import errno
import resource

__all__ = ["OUT_OF_DESCRIPTORS", "out_of_descriptors", "raise_open_files_limit"]

OUT_OF_DESCRIPTORS = "out of file descriptors"
"""The detail of a ``local`` failure: this process (EMFILE) or the system (ENFILE) has no descriptor left."""


def raise_open_files_limit() -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the (soft, hard) pair in force afterwards.

    Never raises: where the limit cannot be changed, the old one stays and is returned.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):  # e.g. a hard limit of "unlimited" that the kernel caps lower
            return soft, hard
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def out_of_descriptors(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) is EMFILE or ENFILE: a local limit, not the network.

    >>> out_of_descriptors(OSError(errno.EMFILE, "Too many open files"))
    True
    >>> out_of_descriptors(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    False
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.EMFILE, errno.ENFILE):
            return True
        current = current.__cause__ or current.__context__
    return False
