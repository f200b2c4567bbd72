"""Paginators: how the tap moves from one page of logs to the next."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tap_auth0_logs import log_ids
from tap_auth0_logs.errors import ApiResponseError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping


class CheckpointLinks:
    """Follow `Link: <…>; rel="next"` exactly, and never off the tenant's host.

    Auth0 sends the next link on every checkpoint page, and asks clients to request it verbatim
    (docs/auth0-api.md §1).
    A page with logs but no next link, or a link to another host, is an error rather than a
    silent end: the first would hide logs, the second would send the token elsewhere. (Each
    backfill cursor pages with it; the SDK's paginator loop runs one cursor only.)
    """

    def __init__(self, tenant_base_url: str) -> None:
        self._tenant = urlsplit(tenant_base_url)

    def next_url(self, links: Mapping[str, Mapping[str, str]]) -> str:
        """The page's next link, or a clear error when it is missing or points elsewhere."""
        url = links.get("next", {}).get("url")
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


#: Auth0's caps in search mode: results per page, and results one query may page through.
SEARCH_PAGE_SIZE = 100
SEARCH_CAP = 1000


class RangeSearch:
    """Every match of a search query between two log ids, despite Auth0's 1,000-result cap.

    The query is narrowed to a log_id range, `log_id:{low TO high]` (docs/auth0-api.md §1). A
    range that could hold 1,000 results or more (the 1,000th result exists) is split in two at
    the id halfway in time, until each part fits; each part is then paged through whole. Log ids
    carry microseconds and a 33-digit tail, so even thousands of logs in one second split cleanly.

    Ranges come out oldest first; each range's logs are sorted by log_id, so a stream that
    emits them in order is sorted and every STATE it writes is a resume point.
    """

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], list[dict[str, Any]]],
        query: str,
        fields: list[str] | None = None,
    ) -> None:
        self.fetch = fetch
        self.query = query
        self.fields = fields
        self.requests = 0

    def between(self, low: str, high: str) -> Iterator[list[dict[str, Any]]]:
        """Yield the matches in `{low TO high]`, one sorted range at a time, oldest first."""
        pending = [(low, high)]
        while pending:
            low, high = pending.pop()
            page = self._page(low, high, 0, SEARCH_PAGE_SIZE)
            if len(page) == SEARCH_PAGE_SIZE and self._page(low, high, SEARCH_CAP - 1, 1):
                middle = log_ids.midpoint(low, high)
                if middle is None:  # pragma: no cover - two ids cannot hold 1,000 logs
                    msg = f"Cannot split the log_id range {low}..{high} under 1,000 results."
                    raise ApiResponseError(msg)
                pending += [(middle, high), (low, middle)]  # the older half comes out first
                continue
            rows = list(page)
            number = 1
            while len(page) == SEARCH_PAGE_SIZE and number * SEARCH_PAGE_SIZE < SEARCH_CAP:
                page = self._page(low, high, number, SEARCH_PAGE_SIZE)
                rows += page
                number += 1
            yield sorted(rows, key=lambda log: str(log["log_id"]))

    def _page(self, low: str, high: str, page: int, per_page: int) -> list[dict[str, Any]]:
        query = f"log_id:{{{low} TO {high}]"
        if self.query:
            query = f"({self.query}) AND {query}"
        params: dict[str, Any] = {"q": query, "page": page, "per_page": per_page}
        if self.fields:
            params |= {"fields": ",".join(self.fields), "include_fields": "true"}
        self.requests += 1
        return self.fetch(params)
