"""A fake Auth0 tenant: real HTTP on 127.0.0.1, behaving as docs/auth0-api.md says Auth0 does.

Endpoints: `POST /oauth/token` (client credentials), `GET /api/v2/logs` (checkpoint mode with
`from`/`take` and a Link header; search mode with `q`, `page`, `per_page`, `sort`, `fields`,
`include_fields`, `include_totals`, its 100-per-page and 1,000-result caps), `GET
/api/v2/logs/{id}`, `GET /api/v2/users/{id}/logs`. Errors use Auth0's bodies; every API answer
carries `x-ratelimit-*` headers from a token bucket. Faults are switches on `Faults`.

It records every request it receives (`requests`) so tests can check what the tap sent.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import secrets
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from typing_extensions import override

from tap_auth0_logs.testing.logs import TenantLogs
from tap_auth0_logs.testing.search import QueryError, compile_query

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable

DEFAULT_CLIENT_ID = "fake-client-id"
DEFAULT_CLIENT_SECRET = "fake-client-secret-do-not-print"  # noqa: S105 - the fake's own
ALL_LOG_SCOPES = ("read:logs", "read:logs_users")
SEARCH_CAP = 1000
SORTABLE = frozenset(
    {
        "date",
        "connection",
        "client_id",
        "client_name",
        "ip",
        "user_id",
        "user_name",
        "description",
        "user_agent",
        "type",
        "details",
        "strategy",
        "strategy_type",
    }
)


@dataclass
class Client:
    """A machine-to-machine application: its secret, and its grant on the Management API."""

    secret: str
    scopes: tuple[str, ...] | None = ALL_LOG_SCOPES  # None: no client grant at all
    client_credentials_enabled: bool = True


@dataclass
class Faults:
    """Switches for trouble. Rates are probabilities per API request; drawn from a seeded RNG."""

    latency: float = 0.0  # seconds added to every API answer
    error_rate: float = 0.0  # answer 5xx (alternating JSON 503 and an HTML 502 gateway page)
    drop_rate: float = 0.0  # close the connection without answering
    truncate_rate: float = 0.0  # answer 200 with the body cut in half
    # What the next API requests get, in order: a status code, or one of "ok", "drop",
    # "truncate", "html" (a 200 HTML page), "object" (a 200 JSON object), "stall".
    fail_next: list[int | str] = field(default_factory=list)
    stall_seconds: float = 3.0  # how long a "stall" holds the answer back
    omit_link: bool = False  # checkpoint pages without a Link header
    next_link_base: str | None = None  # put another host in the next links
    token_fail_next: list[int] = field(default_factory=list)  # same for /oauth/token
    token_stalls: int = 0  # the next token requests hold their answer back `stall_seconds`
    expire_tokens_after: int | None = None  # expire every token once this many API requests came
    issue_expired_tokens: bool = False  # tokens that the API already calls expired
    reject_expired_from: bool = False  # 400 for a `from` older than the oldest kept log
    lookup_ignores_retention: bool = False  # /logs/{id} still finds logs retention removed
    max_query_length: int = 4096  # longer query strings get 414
    rate_limit_headers: bool = True  # False: answers carry no x-ratelimit-* (a proxy strips them)
    seed: int = 1


#: A bucket's use past which Auth0 writes an `api_limit_warning` event into the tenant's log.
WARNING_SHARE = 0.8


@dataclass
class RateLimit:
    """A token bucket like Auth0's (docs/auth0-api.md §5), shared by every client of the tenant.

    `burst` requests, refilled at `per_second`: continuously (every millisecond) for buckets
    refilled per second, once a second for buckets refilled per minute (`per_minute=True`). Every
    answer says `x-ratelimit-remaining` (whole requests left) and `x-ratelimit-reset`: the whole
    second, as Unix time, at which the next request is added. It counts the 429s each client got
    and every time the bucket's use crossed 80% (Auth0's `api_limit_warning`).
    """

    per_second: float = 1000.0
    burst: int = 1000
    per_minute: bool = False
    clock: Callable[[], float] = field(default=time.time, repr=False)
    too_many: Counter[str] = field(init=False, default_factory=Counter)
    crossings: int = field(init=False, default=0)
    lowest: int = field(init=False)
    taken: Counter[str] = field(init=False, default_factory=Counter)
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _above_warning: bool = field(init=False, default=True)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        """A full bucket and fresh counters (the clients spending it stay), so runs start alike."""
        with self._lock:
            self._tokens, self._at, self.lowest = float(self.burst), self.clock(), self.burst
            self.too_many.clear()
            self.taken.clear()
            self.crossings, self._above_warning = 0, True

    @property
    def _step(self) -> float:
        """Seconds between refills."""
        return 1.0 if self.per_minute else 0.001

    def _refill(self, now: float) -> None:
        steps = math.floor(now / self._step) - math.floor(self._at / self._step)
        if steps > 0:
            self._tokens = min(self.burst, self._tokens + steps * self._step * self.per_second)
        self._at = now

    def take(self, client: str = "tap") -> tuple[bool, dict[str, str]]:
        """Spend one request for `client` if the bucket allows; (allowed, x-ratelimit headers)."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            allowed = self._tokens >= 1
            if allowed:
                self._tokens -= 1
                self.taken[client] += 1
            else:
                self.too_many[client] += 1
            warning_level = round((1 - WARNING_SHARE) * self.burst, 9)
            if self._tokens <= warning_level and self._above_warning:
                self.crossings += 1
            self._above_warning = self._tokens > warning_level
            remaining = math.floor(self._tokens)
            self.lowest = min(self.lowest, remaining)
            return allowed, {
                "x-ratelimit-limit": str(self.burst),
                "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": str(self._next_request_at(now)),
            }

    def _next_request_at(self, now: float) -> int:
        """The whole second at which the bucket next gains a whole request (now, when full)."""
        if self._tokens >= self.burst:
            return math.ceil(now)
        missing = math.floor(self._tokens) + 1 - self._tokens
        steps = math.ceil(round(missing / (self.per_second * self._step), 9))  # refills needed
        return math.ceil((math.floor(now / self._step) + steps) * self._step)


class OtherClients:
    """The tenant's own apps, spending its bucket at `per_second` (a thread, stopped with it)."""

    def __init__(
        self,
        bucket: RateLimit,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bucket, self.per_second, self.clock = bucket, per_second, clock
        self._due: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spend, daemon=True)

    def start(self) -> OtherClients:
        """Begin spending."""
        if self.per_second > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop spending."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def spend_due(self) -> float:
        """Spend every request due by now (the first at once); the seconds until the next."""
        now = self.clock()
        if self._due is None:
            self._due = now
        while self._due <= now:
            self.bucket.take("others")
            self._due += 1 / self.per_second
        return self._due - now

    def _spend(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.spend_due())


@dataclass
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    target: str  # path and query exactly as sent
    status: int = 0
    user_agent: str = ""
    at: float = field(default_factory=time.time)  # when it came in


@dataclass
class _Token:
    expires_at: float
    scopes: tuple[str, ...]


class FakeAuth0:
    """The fake tenant. `start()` serves it on a free port; `base_url` is what `domain` takes."""

    def __init__(
        self,
        logs: TenantLogs | None = None,
        *,
        clients: dict[str, Client] | None = None,
        api_tokens: dict[str, tuple[str, ...]] | None = None,
        token_lifetime: int = 86400,
        rate_limit: RateLimit | None = None,
        faults: Faults | None = None,
        other_clients_per_second: float = 0.0,
        logs_users_reads_all_logs: bool = True,
    ) -> None:
        self.logs = logs or TenantLogs()
        self.clients = clients or {DEFAULT_CLIENT_ID: Client(DEFAULT_CLIENT_SECRET)}
        self.token_lifetime = token_lifetime
        # The OAS lets `read:logs_users` read /api/v2/logs too; False narrows it to user logs.
        self.logs_users_reads_all_logs = logs_users_reads_all_logs
        self.rate_limit = rate_limit or RateLimit()
        #: The tenant's other clients, spending the same bucket while the tenant serves.
        self.other_clients_per_second = other_clients_per_second
        self._others: OtherClients | None = None
        self.faults = faults or Faults()
        self.requests: list[RecordedRequest] = []
        self.lock = threading.RLock()
        self._rng = random.Random(self.faults.seed)
        self._tokens: dict[str, _Token] = {
            token: _Token(math.inf, scopes) for token, scopes in (api_tokens or {}).items()
        }
        self._server: ThreadingHTTPServer | None = None
        self._scheme = "http"

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, tls: ssl.SSLContext | None = None, port: int = 0) -> FakeAuth0:
        """Serve on 127.0.0.1 at `port` (a free one by default), in a background thread.

        Over TLS with `tls`.
        """
        handler = type("Handler", (_Handler,), {"tenant": self})
        self._server = _Server(("127.0.0.1", port), handler)
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._others = OtherClients(self.rate_limit, self.other_clients_per_second).start()
        return self

    def stop(self) -> None:
        """Stop serving (and the other clients' spending)."""
        if self._others is not None:
            self._others.stop()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeAuth0:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        assert self._server is not None
        return f"{self._scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_identifier(self) -> str:
        """The tenant's Management API identifier, as Auth0 names it wherever it is served.

        A token may be asked for this audience or for `base_url`'s own (a local convenience):
        the first names the tenant the same whatever port it is served on.
        """
        return f"https://{self.logs.tenant_name}.us.auth0.com/api/v2/"

    # --- test helpers ------------------------------------------------------------------------
    def config(self, **extra: Any) -> dict[str, Any]:
        """A tap config for this tenant with the default client."""
        return {
            "domain": self.base_url,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            **extra,
        }

    def expire_tokens(self) -> None:
        """Make every issued token expired, as if a day had passed."""
        with self.lock:
            for token in self._tokens.values():
                token.expires_at = 0.0

    def api_requests(self) -> list[RecordedRequest]:
        """Requests to the Management API (not the token endpoint)."""
        return [r for r in self.requests if r.path.startswith("/api/")]

    def token_requests(self) -> list[RecordedRequest]:
        """Requests to the token endpoint."""
        return [r for r in self.requests if r.path == "/oauth/token"]

    # --- token endpoint ----------------------------------------------------------------------
    def issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer `POST /oauth/token` as Auth0's Authentication API does."""
        if self.faults.token_fail_next:
            status = self.faults.token_fail_next.pop(0)
            return status, {
                "error": "server_error" if status >= 500 else "too_many_requests",
                "error_description": "Injected fault",
            }
        client = self.clients.get(form.get("client_id", ""))
        refusal = self._token_refusal(form, client)
        if refusal is not None:
            return refusal
        assert client is not None
        assert client.scopes is not None
        token = f"fake-token-{secrets.token_hex(16)}"
        with self.lock:
            expires_at = (
                0.0 if self.faults.issue_expired_tokens else time.time() + self.token_lifetime
            )
            self._tokens[token] = _Token(expires_at, client.scopes)
        return 200, {
            "access_token": token,
            "expires_in": self.token_lifetime,
            "scope": " ".join(client.scopes),
            "token_type": "Bearer",
        }

    def _token_refusal(
        self, form: dict[str, str], client: Client | None
    ) -> tuple[int, dict[str, Any]] | None:
        """Why the token endpoint refuses `form`, as Auth0 words it; None when it issues one."""
        if form.get("grant_type") != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Unsupported grant type",
            }
        if client is None or not secrets.compare_digest(
            client.secret, form.get("client_secret", "")
        ):
            return 401, {"error": "access_denied", "error_description": "Unauthorized"}
        if not client.client_credentials_enabled:
            return 403, {
                "error": "unauthorized_client",
                "error_description": "Grant type 'client_credentials' not allowed for the client.",
                "error_uri": "https://auth0.com/docs/clients/client-grant-types",
            }
        audience = form.get("audience", "")
        if audience not in {f"{self.base_url}/api/v2/", self.api_identifier}:
            return 403, {
                "error": "access_denied",
                "error_description": f"Service not found: {audience}",
            }
        if client.scopes is None:
            return 403, {
                "error": "access_denied",
                "error_description": (
                    f'Client is not authorized to access "{audience}". You need to create a '
                    '"client-grant" associated to this API. See: '
                    "https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants"
                ),
            }
        return None

    def check_token(self, header: str | None, path: str = "") -> tuple[int, dict[str, Any]] | None:
        """Return an error answer when the bearer token may not read logs; None when it may."""
        if not header or not header.startswith("Bearer "):
            return 401, _error(401, "Missing authentication")
        token = self._tokens.get(header[len("Bearer ") :])
        if token is None:
            body = _error(401, "Invalid token")
            body["attributes"] = {"error": "Invalid token"}
            return 401, body
        if token.expires_at < time.time():
            message = "Expired token received for JSON Web Token validation"
            body = _error(401, message)
            body["attributes"] = {"error": message}
            return 401, body
        accepted = set(ALL_LOG_SCOPES)
        if not self.logs_users_reads_all_logs and not path.startswith("/api/v2/users/"):
            accepted = {"read:logs"}
        if not set(token.scopes) & accepted:
            expected = ",".join(sorted(accepted))
            return 403, _error(
                403, f"Insufficient scope, expected any of: {expected}", "insufficient_scope"
            )
        return None

    # --- log endpoints -----------------------------------------------------------------------
    def checkpoint_page(
        self, query: dict[str, list[str]], request_url: str
    ) -> tuple[int, Any, dict[str, str]]:
        """`GET /api/v2/logs?from=…&take=…`: logs after `from`, ascending, and the next link."""
        start = query["from"][0]
        if not start.isdigit():
            return (
                400,
                _error(400, "Invalid value for from: must be a log id", "invalid_query_string"),
                {},
            )
        take = _int(query.get("take", ["50"])[0])
        if take is None or take < 1:
            return 400, _error(400, "Invalid value for take", "invalid_query_string"), {}
        take = min(take, 100)
        logs = self.logs
        if (
            self.faults.reject_expired_from
            and logs.count > logs.first_kept
            and start < logs.log_id(logs.first_kept)
        ):
            return (
                400,
                _error(400, "The checkpoint log is no longer available.", "invalid_query_string"),
                {},
            )
        first = logs.first_after(start)
        page = [logs.log(i) for i in range(first, min(first + take, logs.count))]
        if page:
            base = self.faults.next_link_base or self.base_url
            next_url = f"{base}/api/v2/logs?from={page[-1]['log_id']}&take={take}"
        else:
            next_url = request_url  # Auth0: on an empty page, the next link repeats the request
        if self.faults.omit_link:
            return 200, page, {}
        return 200, page, {"Link": f'<{next_url}>; rel="next"'}

    def search_page(
        self,
        query: dict[str, list[str]],
        logs: list[dict[str, Any]] | None = None,
        allow_q: bool = True,
    ) -> tuple[int, Any, dict[str, str]]:
        """Search mode: filter, sort, project, page; at most 100 per page and 1,000 in all."""
        get = lambda name, default: query.get(name, [default])[0]  # noqa: E731
        page, per_page = _int(get("page", "0")), _int(get("per_page", "50"))
        if page is None or per_page is None or page < 0 or not 0 <= per_page <= 100:
            return (
                400,
                _error(
                    400, "Invalid paging: per_page must be 0-100 and page >= 0", "invalid_paging"
                ),
                {},
            )
        if page * per_page + per_page > SEARCH_CAP:
            return (
                400,
                _error(
                    400,
                    "You can only page through the first 1000 records. "
                    "See https://auth0.com/docs/logs/retrieve-log-events-using-mgmt-api",
                    "invalid_paging",
                ),
                {},
            )
        text = get("q", get("search", "")) if allow_q else ""
        try:
            predicate = compile_query(text)
        except QueryError as exc:
            return 400, _error(400, f"Invalid query string: {exc}", "invalid_query_string"), {}
        sort = get("sort", "")
        if logs is None and not text and sort in {"date:1", "date:-1"} and page == 0:
            rows = self.logs.date_window(sort == "date:-1", per_page)  # the oldest/newest probe
        else:
            rows = self.logs.kept() if logs is None else logs
        matches = [log for log in rows if predicate(log)]
        if sort:
            name, _, order = sort.partition(":")
            if name not in SORTABLE or order not in {"1", "-1"}:
                return 400, _error(400, f"Invalid sort: {sort}", "invalid_query_string"), {}
            matches.sort(
                key=lambda log: (log.get(name) is not None, str(log.get(name) or "")),
                reverse=order == "-1",
            )
        else:
            matches.reverse()  # Auth0's default: newest log_id first
        chunk = matches[page * per_page : (page + 1) * per_page]
        fields = [f for f in get("fields", "").split(",") if f]
        if fields:
            include = get("include_fields", "true") != "false"
            chunk = [{k: v for k, v in log.items() if (k in fields) == include} for log in chunk]
        if get("include_totals", "false") == "true":
            return (
                200,
                {
                    "start": page * per_page,
                    "limit": per_page,
                    "length": len(chunk),
                    "total": len(chunk),
                    "logs": chunk,
                },
                {},
            )
        return 200, chunk, {}

    def log_by_id(self, log_id: str) -> tuple[int, Any, dict[str, str]]:
        """`GET /api/v2/logs/{id}`."""
        number = self.logs.number_of(log_id)
        if number is None and self.faults.lookup_ignores_retention:
            first_kept, self.logs.first_kept = self.logs.first_kept, 0
            number = self.logs.number_of(log_id)
            self.logs.first_kept = first_kept
        if number is None:
            return 404, _error(404, "Log not found.", "inexistent_log"), {}
        return 200, self.logs.log(number), {}

    def user_logs(
        self, user_id: str, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        """`GET /api/v2/users/{id}/logs`: page-based, at most 1,000 results, no `q`."""
        rows = [log for log in self.logs.kept() if log.get("user_id") == user_id]
        if not rows:
            return 200, [], {}
        return self.search_page(query, rows, allow_q=False)

    def draw(self) -> float:
        """A fault draw from the seeded RNG."""
        with self.lock:
            return self._rng.random()


def _error(status: int, message: str, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
    }
    if code:
        body["errorCode"] = code
    return body


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)


class _Server(ThreadingHTTPServer):
    """The standard threading server, quiet when a client hangs up.

    A client may go at any moment (a tap killed mid-page, a test that stops reading); Auth0 does
    not print anything then, and a traceback on the console would look like a failure.
    """

    @override
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    tenant: FakeAuth0
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet; the tenant records requests itself."""

    def _record(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        record = RecordedRequest(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            self.path,
            user_agent=self.headers.get("User-Agent") or "",
        )
        with self.tenant.lock:
            self.tenant.requests.append(record)
        return record

    def _send(
        self,
        record: RecordedRequest,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        record.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self, record: RecordedRequest) -> None:
        record.status = -1
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_POST(self) -> None:
        record = self._record()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if record.path != "/oauth/token":
            self._send(record, 404, _error(404, "Not Found"))
            return
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                form = {k: str(v) for k, v in json.loads(raw or "{}").items()}
            except (ValueError, AttributeError):
                self._send(
                    record, 400, {"error": "invalid_request", "error_description": "Invalid JSON"}
                )
                return
        else:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
        with self.tenant.lock:
            stall = self.tenant.faults.token_stalls > 0
            self.tenant.faults.token_stalls -= stall
        if stall:
            time.sleep(self.tenant.faults.stall_seconds)
        status, body = self.tenant.issue_token(form)
        self._send(record, status, body)

    def do_GET(self) -> None:
        tenant = self.tenant
        record = self._record()
        if self._refused_before_the_bucket(record):
            return
        injected = self._fault_to_inject()
        if injected == "drop":
            self._drop(record)
            return
        if injected == "stall":
            time.sleep(tenant.faults.stall_seconds)
            injected = None
        with tenant.lock:
            allowed, limit_headers = tenant.rate_limit.take()
        if not tenant.faults.rate_limit_headers:
            limit_headers = {}
        if injected not in {None, "ok", "truncate"}:  # "ok": an answer as it comes, on purpose
            self._send_fault(record, injected, limit_headers)
            return
        if not allowed:
            body = _error(429, "Global limit has been reached", "too_many_requests")
            self._send(record, 429, body, limit_headers)
            return
        denied = tenant.check_token(self.headers.get("Authorization"), record.path)
        if denied:
            self._send(record, denied[0], denied[1], limit_headers)
            return
        status, body, headers = self._route(record)
        if injected == "truncate":
            payload = json.dumps(body).encode()
            raw = payload[: len(payload) // 2]
            self._send(record, status, None, {**limit_headers, **headers}, raw=raw)
            return
        self._send(record, status, body, {**limit_headers, **headers})

    def _refused_before_the_bucket(self, record: RecordedRequest) -> bool:
        """Answer what Auth0 refuses before its rate limit (404 off the API, 414); the latency."""
        if not record.path.startswith("/api/v2/"):
            self._send(record, 404, _error(404, "Not Found"))
            return True
        faults = self.tenant.faults
        if faults.latency:
            time.sleep(faults.latency)
        if len(urlsplit(self.path).query) > faults.max_query_length:
            page = b"<html><body><h1>414 Request-URI Too Large</h1></body></html>"
            self._send(record, 414, None, raw=page, content_type="text/html")
            return True
        return False

    def _fault_to_inject(self) -> int | str | None:
        """The next fault queued, else one drawn at the configured rates; expiring tokens."""
        tenant, faults = self.tenant, self.tenant.faults
        with tenant.lock:
            injected: int | str | None = faults.fail_next.pop(0) if faults.fail_next else None
            if (
                faults.expire_tokens_after is not None
                and len(tenant.api_requests()) > faults.expire_tokens_after
            ):
                faults.expire_tokens_after = None
                tenant.expire_tokens()
        if injected is not None:
            return injected
        if faults.drop_rate and tenant.draw() < faults.drop_rate:
            return "drop"
        if faults.error_rate and tenant.draw() < faults.error_rate:
            return 503 if tenant.draw() < 0.5 else 502
        if faults.truncate_rate and tenant.draw() < faults.truncate_rate:
            return "truncate"
        return None

    def _send_fault(
        self, record: RecordedRequest, injected: int | str, limit_headers: dict[str, str]
    ) -> None:
        """An injected answer: a gateway's HTML page, a body of the wrong shape, a status."""
        if injected in {502, "html"}:
            status = 502 if injected == 502 else 200
            raw, html = _GATEWAY_PAGE, "text/html"
            self._send(record, status, None, limit_headers, raw=raw, content_type=html)
        elif injected == "object":
            self._send(record, 200, {"unexpected": "shape"}, limit_headers)
        else:
            status = int(injected)
            self._send(record, status, _error(status, "Injected fault"), limit_headers)

    def _route(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        tenant, path, query = self.tenant, record.path, record.query
        with tenant.lock:
            if path == "/api/v2/logs":
                if "from" in query:
                    host = self.headers.get("Host") or tenant.base_url.split("//")[1]
                    scheme = tenant.base_url.split("://")[0]
                    return tenant.checkpoint_page(query, f"{scheme}://{host}{self.path}")
                return tenant.search_page(query)
            if path.startswith("/api/v2/logs/"):
                return tenant.log_by_id(unquote(path[len("/api/v2/logs/") :]))
            if path.startswith("/api/v2/users/") and path.endswith("/logs"):
                return tenant.user_logs(unquote(path[len("/api/v2/users/") : -len("/logs")]), query)
        return 404, _error(404, "Not Found"), {}
