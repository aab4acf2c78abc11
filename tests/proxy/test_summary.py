from __future__ import annotations

import io

from rich.console import Console

from egressmap.proxy.server import Stats
from egressmap.proxy.summary import closing_line, table


def test_table_lists_destinations_and_denials() -> None:
    """The live view shows the busiest destinations and the denied ones."""
    stats = Stats(
        records=5, denied=2, destinations={("pypi.org", 443): 3}, denied_destinations={("x.org", 80): 2}
    )
    out = io.StringIO()
    Console(file=out, width=100).print(table(stats, "127.0.0.1:3128"))
    text = out.getvalue()
    assert "pypi.org:443" in text and "x.org:80" in text and "5 records (2 denied)" in text
    assert closing_line(stats).startswith("5 records (2 denied), 1 destinations reached or tried, 1 denied")
