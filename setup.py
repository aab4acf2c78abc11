"""The one compiled part: the per-line loop of Squid's native log (optional; pure Python when it cannot build)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "egressmap.sources._squid_count",
            ["src/egressmap/sources/_squid_count.c"],
            optional=True,  # no compiler: pip still installs, and squid_native's Python loop does the work
        )
    ]
)
