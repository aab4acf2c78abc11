from __future__ import annotations

import pytest

from egressmap.errors import ConfigError
from egressmap.proxy.setup import build_config


def test_allow_client_covering_public_space_is_refused() -> None:
    """Finding 12: two /1s (every IPv4 address) or 2000::/4 are refused without --allow-any-client."""
    for nets in (["0.0.0.0/1", "128.0.0.0/1"], ["2000::/4"], ["8.0.0.0/7"], ["0.0.0.0/0"]):
        with pytest.raises(ConfigError, match="open proxy"):
            build_config(listen="0.0.0.0:3128", allow_clients=nets)
    config, _ = build_config(listen="0.0.0.0:3128", allow_clients=["0.0.0.0/1"], allow_any_client=True)
    assert [str(n) for n in config.allow_clients] == ["0.0.0.0/1"]
    private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fd00::/8", "8.0.0.0/8"]
    assert len(build_config(listen="0.0.0.0:3128", allow_clients=private)[0].allow_clients) == 6
