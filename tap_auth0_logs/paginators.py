"""Paginators: how the tap moves from one page of logs to the next."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from singer_sdk.pagination import HeaderLinkPaginator
from typing_extensions import override

from tap_auth0_logs.errors import ApiResponseError

if TYPE_CHECKING:
    import requests


class CheckpointPaginator(HeaderLinkPaginator):
    """Follow `Link: <…>; rel="next"` exactly, and never off the tenant's host.

    Auth0 sends the next link on every checkpoint page, and asks clients to request it verbatim.
    An empty page ends the run: the SDK stops before asking for the next link, which on an empty
    page repeats the request URL. A page with logs but no next link, or a link to another host,
    is an error rather than a silent end: the first would hide logs, the second would send the
    token elsewhere.
    """

    def __init__(self, tenant_base_url: str) -> None:
        super().__init__()
        self._tenant = urlsplit(tenant_base_url)

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        url = response.links.get("next", {}).get("url")
        if not url:
            msg = (
                'Auth0 sent a page of logs without a Link rel="next" header, so the tap cannot '
                "continue exactly: retry; if it persists, report it to Auth0 support."
            )
            raise ApiResponseError(msg)
        target = urlsplit(url)
        if (target.scheme, target.netloc) != (self._tenant.scheme, self._tenant.netloc):
            msg = (
                f"Auth0's next-page link points to {target.scheme}://{target.netloc}, not to the "
                f"tenant ({self._tenant.scheme}://{self._tenant.netloc}); the tap will not send "
                "the token there. Check `domain` (use the canonical tenant domain)."
            )
            raise ApiResponseError(msg)
        return str(url)
