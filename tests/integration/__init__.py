"""Integration tests that drive real external software (Squid from apt) on loopback."""
