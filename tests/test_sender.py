"""The one owner of a request, in process: a scripted transport, a simulated clock, no sleeps."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tap_auth0_logs.api.auth import ClientCredentials, StaticToken
from tap_auth0_logs.api.pacing import Pacer
from tap_auth0_logs.api.sender import Request, Sender
from tap_auth0_logs.errors import CredentialsError, RateLimitError, RetriesExhaustedError
from tap_auth0_logs.testing import SimulatedClock

API = "https://acme.example/api/v2/logs"


def answer(status: int, body: Any = None, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code, response.reason = status, "Scripted"
    response._content = json.dumps(body).encode()
    response.headers = CaseInsensitiveDict({k.replace("_", "-"): v for k, v in headers.items()})
    return response


class Script:
    """A transport that gives scripted answers in turn and records what it was sent, and when."""

    def __init__(self, clock: SimulatedClock, *answers: requests.Response) -> None:
        self.clock, self.answers = clock, list(answers)
        self.sent: list[tuple[str, dict[str, str] | None, float]] = []

    def send(self, method: str, url: str, *, params=None, data=None, headers=None):
        self.sent.append((method, headers, self.clock.now()))
        return self.answers.pop(0)


def run(script_answers: list[requests.Response], *, max_wait: float = 900.0):
    """A sender on a simulated clock, which records the pacer's waits on the bucket and the
    sender's own sleeps (backoff after failures)."""
    clock = SimulatedClock(1_000.0, grace=0.0)
    pacer = Pacer(clock=clock)
    transport = Script(clock, *script_answers)
    sender = Sender(
        transport,  # type: ignore[arg-type]
        pacer,
        rate_limit_max_wait=max_wait,
        clock=clock,
        jitter=lambda: 0.0,
    )
    return sender, transport, pacer, clock.sleeps, clock.waits


def get(sender: Sender, credentials=None) -> Any:
    request = Request(
        "GET",
        API,
        read=lambda response: response.json(),
        exhausted=lambda budget, limit: RateLimitError(f"exhausted after {budget.failures}"),
    )
    return sender.send(request, credentials or StaticToken("t"))


def test_a_429_is_waited_for_once_in_the_pacer_as_retry_after_says_for_every_request():
    limited = answer(
        429, {"message": "Global limit"}, x_ratelimit_remaining="0", x_ratelimit_reset="1050"
    )
    limited.headers["Retry-After"] = "3"
    sender, transport, pacer, sleeps, waits = run([limited, answer(200, ["ok"])])

    assert get(sender) == ["ok"]
    assert waits == [3.0]  # Retry-After, not the reset 50 s away, and only once
    assert sleeps == []  # the one place that waits on the bucket is the pacer
    assert pacer.estimate.resume_at == 1_003.0  # every other request of the run waits as long
    assert [at for _, _, at in transport.sent] == [1_000.0, 1_003.0]
    assert pacer.usage.rate_limited == 1
    assert "3.0 s waiting on the bucket, 1 answered 429" in pacer.summary()


def test_the_rate_limit_budget_is_charged_once_per_429_and_ends_in_the_clear_error():
    limited = answer(429, {}, x_ratelimit_remaining="0", x_ratelimit_reset="1004")
    limited.headers["Retry-After"] = "3"
    sender, _, _, _, waits = run([limited, limited, limited], max_wait=7)
    with pytest.raises(RateLimitError):
        get(sender)
    assert waits == [3.0, 3.0]  # the third 3 s would pass the 7 s budget: refused, not waited


def test_a_rate_limit_max_wait_of_zero_stops_at_the_first_429_without_waiting():
    limited = answer(429, {}, x_ratelimit_remaining="0", x_ratelimit_reset="1004")
    sender, transport, _, sleeps, waits = run([limited, answer(200, ["ok"])], max_wait=0)
    with pytest.raises(RateLimitError):
        get(sender)
    assert (waits, sleeps, len(transport.sent)) == ([], [], 1)


def test_a_server_error_backs_off_then_succeeds():
    sender, _, _, sleeps, _ = run([answer(503, {"message": "down"}), answer(200, [])])
    assert get(sender) == []
    assert sleeps == [0.25]


def test_a_body_of_the_wrong_shape_is_fetched_again_until_the_failures_run_out():
    def read(response: requests.Response) -> Any:
        from tap_auth0_logs.api.retry import Transient  # noqa: PLC0415

        raise Transient("200 with a body that is not a list of logs")

    sender, transport, *_ = run([answer(200, {}) for _ in range(8)])
    request = Request("GET", API, read=read, exhausted=lambda budget, limit: RateLimitError("x"))
    with pytest.raises(RetriesExhaustedError, match="not a list of logs"):
        sender.send(request, StaticToken("t"))
    assert len(transport.sent) == 8


def credentials_for(sender: Sender) -> ClientCredentials:
    return ClientCredentials(
        sender=sender,
        token_url="https://acme.example/oauth/token",
        client_id="id",
        client_secret="secret",
        audience="https://acme.example/api/v2/",
    )


def test_the_token_request_goes_through_the_same_sender_unpaced_with_its_own_budget():
    token = answer(200, {"access_token": "tok-1", "expires_in": 86400})
    sender, transport, pacer, _, _ = run([token, answer(200, ["log"])])
    assert get(sender, credentials_for(sender)) == ["log"]
    assert [(method, headers) for method, headers, _ in transport.sent] == [
        ("POST", None),
        ("GET", {"Authorization": "Bearer tok-1"}),
    ]
    assert pacer.usage.requests == 1  # the token endpoint has a bucket of its own


def test_a_refused_token_is_replaced_once_at_once_then_the_clear_error():
    tokens = [answer(200, {"access_token": f"tok-{n}", "expires_in": 86400}) for n in (1, 2)]
    refused = answer(401, {"message": "Expired token"})
    sender, transport, _, sleeps, _ = run([tokens[0], refused, tokens[1], answer(200, ["log"])])
    assert get(sender, credentials_for(sender)) == ["log"]
    assert sleeps == []  # at once
    assert transport.sent[-1][1] == {"Authorization": "Bearer tok-2"}

    sender, *_ = run([refused])
    with pytest.raises(CredentialsError, match="api_token"):
        get(sender, StaticToken("t"))  # a static token cannot be replaced
