"""Packet captures (pcap, pcapng, a ``.gz`` of either): DNS lookups, TLS SNI, HTTP Host and connections.

A capture is binary: :class:`~.reader.InputStream` recognises its magic bytes and hands the raw stream to
:meth:`PcapCapture.read_binary` instead of splitting it into lines. Reports count packets where text sources
count lines. The client of every observation is the packet's source address.

- DNS over UDP and TCP (port 53): one ``dns`` observation per answered question (NXDOMAIN is ``nxdomain``,
  SERVFAIL ``failed``), one per question left unanswered; tier ``observed``, with a reason naming DNS. A/AAAA answers
  are kept to name later connections to those addresses.
- TCP connections (see :mod:`.pcap_flows`): named by SNI, HTTP ``Host``, or an earlier DNS answer; else
  "unattributed IP". QUIC (UDP 443) and TLS without SNI are counted as "name not visible".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from ..model import Skipped
from .interface import BinaryReading, BinarySource, Item


class PcapCapture(BinarySource):
    """pcap and pcapng captures, read from their bytes."""

    name = "pcap"
    role = "network"
    description = "packet captures (pcap, pcapng, .gz of either): DNS, TLS SNI, HTTP Host, connections"
    blind_spots = (
        "a capture sees only the traffic of the interface it ran on (one host, or what a mirror port copies)",
        "lookups over DNS-over-HTTPS or DNS-over-TLS, and names in QUIC or an encrypted ClientHello, are not "
        "visible (such flows are named by an earlier DNS answer, or reported as unattributed IPs)",
    )
    """What this source cannot see, for scan to state."""
    binary_formats = ("pcap", "pcapng")
    """The binary formats :func:`~.capture_file.capture_kind` names that this source reads."""

    def sniff(self, head: Sequence[str]) -> float:
        """Never a text input: a capture is recognised by its magic bytes before any sniffing."""
        return -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """A text input given as ``--format pcap``: say so once."""
        for _ in lines:
            yield Skipped(origin, 1, "not a pcap or pcapng capture (no capture magic bytes at its start)")
            return

    def read_binary(self, binary: BinaryIO, origin: str) -> BinaryReading:
        """The observations of a capture stream; the returned reading counts its packets."""
        from .pcap_reading import CaptureReading  # dpkt is imported only when a capture is read

        return CaptureReading(binary, origin, answers=self.answers)
