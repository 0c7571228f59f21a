"""TLS for client tests: a trustme CA (the module-scoped `ca` fixture, imported by name), a
server context with a certificate it issued, a client context that trusts it.

Tests using it skip when trustme is not installed.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

trustme = pytest.importorskip("trustme")


@pytest.fixture(scope="module")
def ca() -> Any:
    return trustme.CA()


def server_context(ca: Any, *names: str) -> ssl.SSLContext:
    """A server context with a certificate `ca` issued for `names`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def client_context(ca: Any) -> ssl.SSLContext:
    """A client context trusting `ca` (and verifying as ssl's default)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context
