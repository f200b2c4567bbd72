"""The run's one HTTP session: TLS trust, proxies, kept-alive connections, timeout, user agent.

Every request the tap sends, to the Management API and to the token endpoint, leaves through
`Transport.send`; what an answer means and whether to try again is decided above it
(`client.py`, `auth.py`, `retry.py`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from collections.abc import Mapping


def ca_bundle() -> str | bool:
    """The CA bundle the environment names (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE).

    True (requests' own bundle) when none is set.
    """
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        if path := os.environ.get(name):
            return path
    return True


class Transport:
    """A `requests` session set up once for the run; thread-safe for the backfill's cursors."""

    def __init__(self, *, user_agent: str, timeout: float, connections: int = 10) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        # Proxies come from the environment (HTTPS_PROXY, NO_PROXY) on every send; a CA bundle
        # named by the environment is set once here, so private CAs and TLS-inspecting proxies
        # work as they do for other tools.
        self.session.verify = ca_bundle()
        # One kept-alive connection per backfill cursor (requests keeps 10 per host by default).
        for scheme in ("https://", "http://"):
            self.session.mount(scheme, requests.adapters.HTTPAdapter(pool_maxsize=connections))

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request as it is (a URL without `params` goes out verbatim); no retries."""
        prepared = self.session.prepare_request(
            requests.Request(method, url, params=params, data=data, headers=headers)
        )
        return self.session.send(prepared, timeout=self.timeout)
