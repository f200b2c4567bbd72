"""Corporate networks: a private CA, an HTTPS proxy, NO_PROXY; and progress lines on long runs."""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING

import pytest
import trustme

from tap_auth0_logs.testing import FakeAuth0, TenantLogs
from tap_auth0_logs.testing.proxy import ConnectProxy
from tests.helpers import run_tap

pytestmark = pytest.mark.slow

if TYPE_CHECKING:
    from collections.abc import Iterator

NETWORK_VARIABLES = (
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NETWORK_VARIABLES}
    return {**env, **extra}


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()  # a throwaway certificate authority, made for this test


@pytest.fixture
def https_tenant(ca: trustme.CA) -> Iterator[FakeAuth0]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    tenant = FakeAuth0(TenantLogs(count=700)).start(tls=context)
    yield tenant
    tenant.stop()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path) -> str:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    server = ConnectProxy().start()
    yield server
    server.stop()


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_https_tenant_behind_a_private_ca(tmp_path, https_tenant, ca_file, variable):
    assert https_tenant.base_url.startswith("https://")

    run = run_tap(tmp_path, https_tenant.config(), env=clean_env(**{variable: ca_file}))

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == https_tenant.logs.ids()


def test_without_the_private_ca_it_is_a_clear_tls_error(tmp_path, https_tenant):
    run = run_tap(tmp_path, https_tenant.config(), env=clean_env())

    assert run.returncode != 0
    assert "TLS failure talking to 127.0.0.1" in run.stderr
    assert "REQUESTS_CA_BUNDLE" in run.stderr
    assert "Traceback" not in run.stderr


def test_https_proxy_carries_every_request(tmp_path, https_tenant, ca_file, proxy):
    env = clean_env(REQUESTS_CA_BUNDLE=ca_file, HTTPS_PROXY=proxy.url)

    run = run_tap(tmp_path, https_tenant.config(), env=env)

    assert run.returncode == 0, run.stderr
    assert sorted(run.log_ids) == https_tenant.logs.ids()
    host = https_tenant.base_url.split("//")[1]
    assert proxy.tunnels
    assert set(proxy.tunnels) == {host}


def test_no_proxy_goes_around_the_proxy(tmp_path, https_tenant, ca_file, proxy):
    env = clean_env(REQUESTS_CA_BUNDLE=ca_file, HTTPS_PROXY=proxy.url, NO_PROXY="127.0.0.1")

    run = run_tap(tmp_path, https_tenant.config(), env=env)

    assert run.returncode == 0, run.stderr
    assert proxy.tunnels == []


def test_long_runs_log_progress_with_the_lag(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=3000))
    tenant.faults.latency = 0.2  # 31 pages: over 6 s with one cursor

    run = run_tap(tmp_path, tenant.config(backfill_concurrency=1))

    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stderr.splitlines() if "Progress of logs:" in line]
    assert lines
    assert " records, " in lines[0]
    assert " pages, " in lines[0]
    assert "records/s, lag " in lines[0]
