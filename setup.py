"""The compiled parts, each optional: where one cannot be built, its Python twin runs.

Squid's native log: the per-line loop (sources/squid_count.py), whose counter lets two threads count a big
file's two parts, and the conversion of its tunnels' rows (sources/squid_native.py); and
hostnames.plain_destination.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "egressmap.sources._squid_count",
            [
                f"src/egressmap/sources/_squid_{part}.c"
                for part in ("count", "table", "loop", "rows", "convert")  # one concern a file (_squid_table.h)
            ],
            depends=["src/egressmap/sources/_squid_table.h"],
            optional=True,  # no compiler: pip still installs, and squid_count's Python loop does the work
        ),
        Extension("egressmap._hostnames", ["src/egressmap/_hostnames.c"], optional=True),
    ]
)
