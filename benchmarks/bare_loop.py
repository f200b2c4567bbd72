"""The yardstick: the least a checkpoint extractor can do, with requests and json.

Get a token, follow the Link header from a start checkpoint until an empty page, and print
each log as a Singer RECORD line. No schema, no state, no retries except the one thing a loop
under a rate limit cannot do without: on a 429, sleep until `x-ratelimit-reset`.

    python -m benchmarks.bare_loop BASE_URL CLIENT_ID CLIENT_SECRET FROM
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import requests


def token_session(base: str, client_id: str, client_secret: str) -> requests.Session:
    """A session that sends a Management API token got with the client-credentials grant."""
    session = requests.Session()
    token = session.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "audience": f"{base}/api/v2/",
        },
        timeout=60,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def write_records(out: TextIO, logs: list[dict[str, Any]]) -> None:
    """Each log as a Singer RECORD line of the `logs` stream."""
    for log in logs:
        out.write(json.dumps({"type": "RECORD", "stream": "logs", "record": log}) + "\n")


def main() -> None:
    base, client_id, client_secret, start = sys.argv[1:5]
    session = token_session(base, client_id, client_secret)
    url = f"{base}/api/v2/logs"
    params: dict[str, str | int] | None = {"from": start, "take": 100}
    out = sys.stdout
    while True:
        response = session.get(url, params=params, timeout=60)
        if response.status_code == 429:
            time.sleep(max(0.0, float(response.headers["x-ratelimit-reset"]) - time.time()))
            continue
        response.raise_for_status()
        logs = response.json()
        if not logs:
            break
        write_records(out, logs)
        url, params = response.links["next"]["url"], None
    out.flush()


if __name__ == "__main__":
    main()
