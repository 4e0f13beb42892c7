"""One TLS context for every HTTP client the harness builds (wire clients, upstream transports,
the gateway target): building one loads the CA bundle, ~30 ms, which a client per test or per
upstream paid each time. One context per CA setting (SSL_CERT_FILE / SSL_CERT_DIR, as httpx
reads them), so a test that points them elsewhere still gets its own."""

from __future__ import annotations

import functools
import os
import ssl

import httpx


@functools.cache
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads SSL_CERT_FILE / SSL_CERT_DIR, as httpx.Client would


def shared_tls() -> ssl.SSLContext:
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
