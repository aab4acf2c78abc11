from __future__ import annotations

from pathlib import Path

from egressmap.proxy.local import LocalAddresses, ResourceErrors, unmapped


def test_local_addresses_come_from_every_interface(tmp_path: Path) -> None:
    """Finding 10: every address of the machine counts as the proxy itself on its port, mapped or not."""
    (tmp_path / "fib_trie").write_text(
        "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 192.0.2.7\n        /32 host LOCAL\n"
        "     |-- 192.0.2.255\n        /32 link BROADCAST\n"
    )
    (tmp_path / "if_inet6").write_text("20010db8000000000000000000000005 02 40 00 80     eth0\n")
    local = LocalAddresses(tmp_path)
    assert local.is_self("192.0.2.7", 3128, 3128, "127.0.0.1")
    assert local.is_self("::ffff:192.0.2.7", 3128, 3128, "127.0.0.1")
    assert local.is_self("2001:db8::5", 3128, 3128, "127.0.0.1")
    assert local.is_self("0.0.0.0", 3128, 3128, "127.0.0.1")
    assert not local.is_self("192.0.2.255", 3128, 3128, "127.0.0.1")
    assert not local.is_self("192.0.2.7", 443, 3128, "127.0.0.1")
    assert unmapped("::ffff:10.0.0.1") == unmapped("10.0.0.1")


def test_resource_errors_write_one_line_a_second() -> None:
    """Finding 11: a burst of out-of-descriptor events is one line, then a count of the ones held back."""
    lines: list[str] = []
    clock = iter([0.0, 0.1, 0.2, 0.9, 1.5]).__next__
    errors = ResourceErrors(lines.append, clock)
    for _ in range(5):
        errors.note("accept: Too many open files")
    assert len(lines) == 2 and errors.count == 5
    assert lines[1].endswith("(and 3 more since the last message); clients get 503 meanwhile")
