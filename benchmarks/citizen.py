"""The simple citizen: a sequential checkpoint loop that keeps a fifth of the bucket, no learning.

What the pacer is measured against on each plan profile. It finds the oldest log with one search
(as the tap does), then follows the Link header until an empty page, printing each log as a
Singer RECORD line. When `x-ratelimit-remaining` is at or below a fifth of `x-ratelimit-limit`,
or after a 429, it sleeps until `x-ratelimit-reset` (the way MeltanoLabs' tap-github keeps its
reserve).

    python -m benchmarks.citizen BASE_URL CLIENT_ID CLIENT_SECRET
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from benchmarks.bare_loop import token_session, write_records

if TYPE_CHECKING:
    import requests

RESERVE = 0.2


def get(
    session: requests.Session, url: str, params: dict[str, str | int] | None
) -> requests.Response:
    """One request, then the citizen's one rule: at or below the reserve, sleep to the reset."""
    while True:
        response = session.get(url, params=params, timeout=60)
        headers = response.headers
        low = int(headers["x-ratelimit-remaining"]) <= RESERVE * int(headers["x-ratelimit-limit"])
        if response.status_code == 429 or low:
            time.sleep(max(0.0, float(headers["x-ratelimit-reset"]) - time.time()))
        if response.status_code != 429:
            response.raise_for_status()
            return response


def main() -> None:
    base, client_id, client_secret = sys.argv[1:4]
    session = token_session(base, client_id, client_secret)
    url = f"{base}/api/v2/logs"
    oldest = get(session, url, {"sort": "date:1", "per_page": 1, "page": 0}).json()[0]
    params: dict[str, str | int] | None = {"from": oldest["log_id"], "take": 100}
    out = sys.stdout
    write_records(out, [oldest])
    while logs := (response := get(session, url, params)).json():
        write_records(out, logs)
        url, params = response.links["next"]["url"], None
    out.flush()


if __name__ == "__main__":
    main()
