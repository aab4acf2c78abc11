"""The seed-style ``host:port`` list: ``# HTTP Destinations``, then ``# HTTPS Destinations``, other ports after.

An IPv6 address is written ``[2001:db8::10]:443``, as in a URL (RFC 3986 section 3.2.2): ``2001:db8::10:443``
would be read back as another address. egressmap's list reader (:mod:`egressmap.sources.plainlist`) reads every
line this writes back to the same host, port and wildcard.
"""

from __future__ import annotations

from ..hostnames import join_host_port
from ..model import Policy
from ..policy import concrete_hosts
from .interface import Exporter, ExportOptions, Rendered


class ListExport(Exporter):
    """``host:port`` lines grouped by port, as firewall change requests are usually written."""

    name = "list"
    description = "host:port lines: HTTP, then HTTPS, then other ports"
    default_scope = "internet"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the list; wildcard entries keep their ``*.`` form (plus the apex when it was seen)."""
        regions = options.regions or policy.regions
        sections: dict[str, set[str]] = {"HTTP": set(), "HTTPS": set(), "Other": set()}
        notes: list[str] = []
        chosen, rejected = self.checked(policy, options)
        for entry in chosen:
            if entry.match == "exact":
                names = concrete_hosts(entry, regions)
            else:
                names = [entry.pattern] + (
                    [entry.pattern[2:]] if entry.match == "apex-and-subdomains" else []
                )
                notes.append(
                    f"{entry.pattern}: a list cannot say whether '*.' covers the apex; "
                    + (
                        "the apex is listed too"
                        if entry.match == "apex-and-subdomains"
                        else "the apex is not listed"
                    )
                    + (
                        "; one label only, but read back (egressmap, Squid) '*.' reaches every depth"
                        if entry.match == "one-label"
                        else ""
                    )
                )
            for port in entry.ports:
                key = "HTTP" if port == 80 else "HTTPS" if port == 443 else "Other"
                sections[key].update(join_host_port(name, port) for name in names)
        out: list[str] = []
        titles = {
            "HTTP": "# HTTP Destinations",
            "HTTPS": "# HTTPS Destinations",
            "Other": "# Other Destinations",
        }
        for key, lines in sections.items():
            if lines:
                out.append(titles[key])
                out.extend(sorted(lines, key=_host_port_key))
        return Rendered("\n".join(out) + ("\n" if out else ""), tuple(notes), rejected)


def _host_port_key(line: str) -> tuple[str, int]:
    host, _, port = line.rpartition(":")
    return host, int(port)
