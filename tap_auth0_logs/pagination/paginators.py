"""Paginators: how the tap moves from one page of logs to the next."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tap_auth0_logs.api.client import PAGE_SIZE, SEARCH_CAP
from tap_auth0_logs.errors import ApiResponseError, Auth0TapError
from tap_auth0_logs.pagination import log_ids

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from tap_auth0_logs.api.client import Auth0Client, Log

logger = logging.getLogger(__name__)


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


class CheckpointPages:
    """A backfill's pages: a cursor's first by `from`, each next one by the previous page's link."""

    def __init__(self, client: Auth0Client) -> None:
        self._client = client
        self._links = CheckpointLinks(client.base_url)

    def page(self, after: str, next_url: str | None) -> tuple[list[Log], Callable[[], str]]:
        """One checkpoint page, and how to get its next link (asked once the page is queued)."""
        answer = self._client.checkpoint_page(after, next_url)
        return answer.body, lambda: self._links.next_url(answer.links)

    def newest(self) -> str | None:
        """The newest log's id (one search request), to know how far a backfill must go.

        Without it the backfill simply stays one cursor, so a failure here is only logged.
        """
        try:
            newest = self._client.newest_log_id()
        except Auth0TapError as exc:
            logger.warning("Could not find the newest log (%s); using one cursor.", exc)
            return None
        return newest if isinstance(newest, str) and log_ids.is_log_id(newest) else None


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

    def between(self, low: str, high: str) -> Iterator[list[dict[str, Any]]]:
        """Yield the matches in `{low TO high]`, one sorted range at a time, oldest first."""
        pending = [(low, high)]
        while pending:
            low, high = pending.pop()
            page = self._page(low, high, 0, PAGE_SIZE)
            if len(page) == PAGE_SIZE and self._page(low, high, SEARCH_CAP - 1, 1):
                middle = log_ids.midpoint(low, high)
                if middle is None:  # pragma: no cover - two ids cannot hold 1,000 logs
                    msg = f"Cannot split the log_id range {low}..{high} under 1,000 results."
                    raise ApiResponseError(msg)
                pending += [(middle, high), (low, middle)]  # the older half comes out first
                continue
            rows = list(page)
            number = 1
            while len(page) == PAGE_SIZE and number * PAGE_SIZE < SEARCH_CAP:
                page = self._page(low, high, number, PAGE_SIZE)
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
        return self.fetch(params)
