"""TLS client contexts."""

from __future__ import annotations

import ssl

from egressmap.verify.tls import client_context


def test_verifying_and_non_verifying_contexts() -> None:
    """The first checks chain and name; the retry context checks neither."""
    strict, lax = client_context(None), client_context(None, verify=False)
    assert (strict.verify_mode, strict.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert (lax.verify_mode, lax.check_hostname) == (ssl.CERT_NONE, False)
