"""A proxy under a tiny open-files limit whose connection cap is not lowered to fit: it runs out for real.

Usage: ``python -m tests.proxy.descriptor_child LIMIT RECORD``. Sets RLIMIT_NOFILE to LIMIT (soft and hard,
so raising the soft limit cannot help), resolves ``allowed.test`` to 127.0.0.1, prints ``PORT n`` on stdout
once listening, and serves until SIGTERM.
"""

from __future__ import annotations

import asyncio
import resource
import sys

from egressmap.proxy.server import ProxyConfig, ProxyServer, serve

from .lab import HOSTS


def main() -> None:
    """Serve with the cap raised past what the descriptors allow."""
    limit, record = int(sys.argv[1]), sys.argv[2]
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    server = ProxyServer(ProxyConfig(port=0, hosts=HOSTS, record=record))

    def ready(address: tuple[str, int]) -> None:
        server.max_connections = 100_000  # as if the budget were wrong: descriptors run out first
        print(f"PORT {address[1]}", flush=True)

    asyncio.run(serve(server, ready))


if __name__ == "__main__":
    main()
