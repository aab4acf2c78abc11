"""Squid peek-and-splice lines for ``squid --sni``: check the TLS server name of every allowed tunnel.

What Squid does with them (Squid 5/6; https://wiki.squid-cache.org/Features/SslPeekAndSplice,
https://www.squid-cache.org/Doc/config/ssl_bump/, https://www.squid-cache.org/Doc/config/http_port/,
https://www.squid-cache.org/Doc/config/on_unsupported_protocol/):

- ``ssl_bump`` lines are consulted only for CONNECTs received on an ``http_port`` that carries the
  ``ssl-bump`` flag; without it they are ignored and every allowed CONNECT is tunnelled whatever its SNI.
  That port needs a certificate and key (``tls-cert=``/``tls-key=``) even when nothing is ever bumped;
  with ``generate-host-certificates=off`` no certificate generator (``sslcrtd_program``) is started.
- Step 1 (``at_step SslBump1``) sees the CONNECT. IP-literal CONNECT targets are spliced there, unpeeked:
  ``ssl::server_name`` cannot name an address and the CONNECT rules already chose the destination.
  Everything else is peeked: Squid reads the ClientHello and, at step 2, re-checks ``http_access`` with
  the server name from SNI (the CONNECT host when the client sent none).
- Step 2 splices a tunnel whose port and server name an allowlist rule names and terminates the rest.
  Peek and splice never show the port's certificate to an allowed tunnel.
- A CONNECT that ``http_access`` denies is answered ``200`` on an ssl-bump port, then bumped to deliver
  the 403 inside TLS with the port's certificate (Squid forces ``bump`` on an error: ``sslBumpAccessCheck``
  in ``src/client_side_request.cc``). A client that does not trust that certificate sees a TLS error
  instead of the 403; either way nothing reaches the origin.
- A tunnel whose first bytes are not TLS is an "unsupported protocol": on port 443 Squid answers with an
  error; on every other port of the policy it is tunnelled (``on_unsupported_protocol tunnel``), so a
  non-TLS service (AMQP on 5672, say) passes by its CONNECT rules alone.
"""

from __future__ import annotations

from .rules import RuleSet

PREFIX = "egressmap"
STEP1 = f"{PREFIX}_step1"

FRAGMENT_NEEDS = [
    "# --sni needs, elsewhere in squid.conf, an http_port with ssl-bump, e.g.:",
    "#   http_port 3128 ssl-bump tls-cert=/etc/squid/egressmap-bump.pem "
    "tls-key=/etc/squid/egressmap-bump.key generate-host-certificates=off",
    "# (a Squid built with OpenSSL, Debian's squid-openssl). Without ssl-bump on the port the clients use,",
    "# Squid ignores every ssl_bump line below and tunnels any allowed CONNECT whatever its TLS server",
    "# name. Allowed tunnels never see the certificate (peek and splice); Squid shows it only to deliver",
    "# the 403 of a denied CONNECT. With generate-host-certificates=off it starts no sslcrtd_program.",
    "# Include this file before any other ssl_bump or on_unsupported_protocol line (first match wins).",
]


def bump_port_options(cert: str, key: str) -> str:
    """The ``http_port`` options that make Squid consult ``ssl_bump`` (peek and splice only)."""
    return f"ssl-bump tls-cert={cert} tls-key={key} generate-host-certificates=off"


def bump_lines(ruleset: RuleSet, ip_acls: list[str], sni_acls: list[str]) -> list[str]:
    """``ssl_bump`` and ``on_unsupported_protocol`` lines.

    ``ip_acls`` are ``port+address`` ACL pairs spliced at step 1; ``sni_acls`` are ``port+server name``
    pairs spliced at step 2.
    """
    other_ports = [p for p in ruleset.ports() if p not in (80, 443)]
    lines = [
        "# TLS server names (peek and splice): IP-literal tunnels are spliced unpeeked at step 1; every",
        "# other tunnel is peeked, spliced when its port and server name (SNI, else the CONNECT host) are",
        "# allowed, and terminated otherwise.",
        f"acl {STEP1} at_step SslBump1",
        *(f"ssl_bump splice {STEP1} {acl}" for acl in ip_acls),
        f"ssl_bump peek {STEP1}",
        *(f"ssl_bump splice {acl}" for acl in sni_acls),
        "ssl_bump terminate all",
    ]
    if other_ports:
        lines += [
            "# Tunnels that are not TLS on these ports (AMQP, say) pass by their CONNECT rules alone.",
            *(f"on_unsupported_protocol tunnel {PREFIX}_port_{p}" for p in other_ports),
        ]
    return lines
