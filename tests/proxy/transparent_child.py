"""Run inside a fresh network namespace (``unshare --net``): iptables REDIRECT into a transparent proxy.

Origins listen on 127.0.0.2; a client bound to 127.0.0.3 connects to them directly, and the rule
``-s 127.0.0.3 -d 127.0.0.2 -j REDIRECT`` sends it to the proxy on 127.0.0.1 instead (the proxy's own upstream
connections come from 127.0.0.1, so they are not redirected). Prints one JSON object with what happened.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
from typing import Any

import trustme

from egressmap.proxy.allow import Allowlist
from egressmap.proxy.record import Record
from egressmap.proxy.server import ProxyConfig, ProxyServer

from .lab import TIMEOUT, _echo, _http_origin, make_policy, until

HOSTS = {"allowed.test": ["127.0.0.2"], "denied.test": ["127.0.0.2"], "elsewhere.test": ["127.0.0.9"]}


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=20)


async def main() -> dict[str, Any]:
    sh("ip", "link", "set", "lo", "up")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*HOSTS).configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    tls = await asyncio.start_server(_echo, "127.0.0.2", 0, ssl=server_ctx)
    http = await asyncio.start_server(_http_origin, "127.0.0.2", 0)
    tls_port, http_port = tls.sockets[0].getsockname()[1], http.sockets[0].getsockname()[1]
    policy = make_policy(
        ("allowed.test", [tls_port, http_port], "exact"), ("elsewhere.test", [tls_port], "exact")
    )
    config = ProxyConfig(
        port=0, mode="transparent", hosts=HOSTS, decide=Allowlist.from_policy(policy).check, enforce=True
    )
    proxy = ProxyServer(config)
    seen: list[Record] = []
    proxy.on_record = seen.append
    _, proxy_port = await proxy.start()
    sh("iptables", "-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-s", "127.0.0.3", "-d", "127.0.0.2",
       "-j", "REDIRECT", "--to-ports", str(proxy_port))  # fmt: skip
    out: dict[str, Any] = {}

    async def tls_try(name: str) -> str:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    "127.0.0.2", tls_port, ssl=client_ctx, server_hostname=name, local_addr=("127.0.0.3", 0)
                ),
                TIMEOUT,
            )
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            return f"refused: {type(exc).__name__}"
        writer.write(b"ping")
        data = await asyncio.wait_for(reader.read(4), TIMEOUT)
        writer.close()
        return data.decode()

    async def http_try(host: str) -> str:
        reader, writer = await asyncio.open_connection("127.0.0.2", http_port, local_addr=("127.0.0.3", 0))
        writer.write(f"GET /x HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        writer.close()
        return data.decode().split("\r\n")[0] if data else "closed"

    out["tls_allowed"] = await tls_try("allowed.test")
    out["tls_denied"] = await tls_try("denied.test")
    out["tls_elsewhere"] = await tls_try("elsewhere.test")
    out["http_allowed"] = await http_try("allowed.test")
    out["http_denied"] = await http_try("denied.test")
    await until(lambda: not proxy.conns, "closed by the proxy")  # every record emitted
    await proxy.shutdown()
    out["records"] = [
        {
            "host": r.host,
            "method": r.method,
            "outcome": r.outcome,
            "sni": r.sni,
            "mode": r.mode,
            "reason": r.reason,
        }
        for r in seen
    ]
    return out


if __name__ == "__main__":
    json.dump(asyncio.run(main()), sys.stdout)
