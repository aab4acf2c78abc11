"""The frames of a pcap or pcapng capture, read from a stream (a file, a ``.gz`` of one, stdin).

dpkt's own readers need a seekable file, read one interface only and pass over unknown blocks and a cut end
without a word; this reader frames the records itself (both formats are a few fixed headers) so that every
unknown block and a truncated end are reported, and leaves decoding the packets to dpkt. Problems are
:class:`~egressmap.model.Skipped` items whose line number is a packet number (as Wireshark counts frames):
the packet the problem is in, or the next one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..model import Skipped

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
"""pcap magic -> (byte order, timestamp unit): microseconds, or nanoseconds."""
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
MAX_BLOCK = 256 * 1024 * 1024
"""A record or block longer than this is damage, not data (the largest snap length is 256 KiB)."""

_SHB, _IDB, _PB, _SPB, _EPB = 0x0A0D0D0A, 1, 2, 3, 6
_KNOWN_OTHER = {4: "name resolution", 5: "interface statistics", 0x0A: "decryption secrets"}
"""pcapng blocks that carry no packet: passed over without a word."""


def capture_kind(sample: bytes) -> str | None:
    r"""``pcap`` or ``pcapng`` when ``sample`` (the start of an input, decompressed) is a capture, else None.

    >>> capture_kind(b"\xd4\xc3\xb2\xa1" + bytes(20)), capture_kind(b"\x0a\x0d\x0d\x0a"), capture_kind(b"GET")
    ('pcap', 'pcapng', None)
    """
    if sample[:4] in PCAP_MAGICS:
        return "pcap"
    if sample[:4] == PCAPNG_MAGIC:
        return "pcapng"
    return None


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured packet: its number in the capture, time, link type and bytes."""

    number: int
    time: float | None
    linktype: int
    data: bytes


class CaptureFile:
    """Iterate the frames of a capture; ``problems`` holds what was not read, ``frames`` how many were."""

    def __init__(self, binary: BinaryIO, origin: str) -> None:
        self.binary = binary
        self.origin = origin
        self.problems: list[Skipped] = []
        self.frames = 0
        self.offset = 0
        """Bytes of the capture read so far."""

    def __iter__(self) -> Iterator[Frame]:
        """Every frame, in capture order."""
        magic = self._read(4)
        if magic in PCAP_MAGICS:
            yield from self._pcap(*PCAP_MAGICS[magic])
        elif magic == PCAPNG_MAGIC:
            yield from self._pcapng()
        else:
            self.problems.append(Skipped(self.origin, 0, "not a pcap or pcapng capture"))

    def _read(self, size: int) -> bytes:
        chunks, want = [], size
        while want:  # a gzip or pipe read may return less than asked before the end
            try:
                data = self.binary.read(want)
            except (OSError, EOFError) as exc:
                self.problems.append(Skipped(self.origin, self.frames + 1, f"damaged input ({exc})"))
                break
            if not data:
                break
            chunks.append(data)
            want -= len(data)
            self.offset += len(data)
        return b"".join(chunks)

    def _cut(self, what: str) -> None:
        self.problems.append(
            Skipped(
                self.origin,
                self.frames + 1,
                f"capture ends early: {what} cut short (truncated file); the {self.frames} packets before it were used",
            )
        )

    def _pcap(self, order: str, unit: float) -> Iterator[Frame]:
        header = self._read(20)
        if len(header) < 20:
            self._cut("the pcap file header")
            return
        linktype = struct.unpack(order + "I", header[16:20])[0] & 0x0FFFFFFF
        record = struct.Struct(order + "IIII")
        while True:
            head = self._read(16)
            if not head:
                return
            if len(head) < 16:
                self._cut("a packet record header")
                return
            sec, frac, caplen, _ = record.unpack(head)
            if caplen > MAX_BLOCK:
                self.problems.append(
                    Skipped(
                        self.origin,
                        self.frames + 1,
                        f"damaged packet record (length {caplen}); reading stops",
                    )
                )
                return
            data = self._read(caplen)
            if len(data) < caplen:
                self._cut("a packet")
                return
            self.frames += 1
            yield Frame(self.frames, sec + frac * unit, linktype, data)

    def _pcapng(self) -> Iterator[Frame]:
        order = "<"
        links: list[tuple[int, float]] = []
        first = PCAPNG_MAGIC
        while True:
            at = self.offset - len(first)
            head = first + self._read(8 - len(first)) if first else self._read(8)
            first = b""
            if not head:
                return
            if len(head) < 8:
                self._cut("a block header")
                return
            bom = b""
            if head[:4] == PCAPNG_MAGIC:  # a section header: its byte order mark says how to read the rest
                bom = self._read(4)
                order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            kind, length = struct.unpack(order + "II", head)
            if length < 12 or length % 4 or length > MAX_BLOCK:
                self.problems.append(
                    Skipped(
                        self.origin, self.frames + 1, f"damaged pcapng block (length {length}); reading stops"
                    )
                )
                return
            body = bom + self._read(length - 8 - len(bom))
            if len(body) < length - 8:
                self._cut("a block")
                return
            body = body[:-4]  # the trailing copy of the length
            if kind == _SHB:
                order = "<" if body[:4] == b"\x4d\x3c\x2b\x1a" else ">"
                links = []
            elif kind == _IDB:
                links.append((struct.unpack(order + "H", body[:2])[0], _resolution(body[8:], order)))
            elif kind in (_EPB, _PB):
                frame = self._packet(kind, body, order, links)
                if frame is not None:
                    yield frame
            elif kind == _SPB:
                if links:
                    self.frames += 1
                    yield Frame(self.frames, None, links[0][0], body[4:])  # a simple packet block has no time
            elif kind not in _KNOWN_OTHER:
                self.problems.append(
                    Skipped(
                        self.origin,
                        self.frames + 1,
                        f"pcapng block of unknown type 0x{kind:08x} at byte {at} skipped",
                        kind="warning",
                    )
                )

    def _packet(self, kind: int, body: bytes, order: str, links: list[tuple[int, float]]) -> Frame | None:
        if kind == _EPB:
            iface, high, low, caplen = struct.unpack(order + "IIII", body[:16])
        else:
            iface, _, high, low, caplen = struct.unpack(order + "HHIII", body[:16])
        if iface >= len(links):
            self.problems.append(
                Skipped(self.origin, self.frames + 1, f"packet for interface {iface} that no block describes")
            )
            return None
        linktype, unit = links[iface]
        self.frames += 1
        return Frame(self.frames, ((high << 32) | low) * unit, linktype, body[20 : 20 + caplen])


def _resolution(options: bytes, order: str) -> float:
    """The interface's timestamp unit from its ``if_tsresol`` option (microseconds when absent)."""
    while len(options) >= 4:
        code, size = struct.unpack(order + "HH", options[:4])
        if code == 0:
            break
        if code == 9 and size >= 1:
            value = options[4]
            return float(2 ** -(value & 0x7F)) if value & 0x80 else float(10**-value)
        options = options[4 + (size + 3) // 4 * 4 :]
    return 1e-6
