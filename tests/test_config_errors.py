"""Bad config and bad credentials: one clear message, a non-zero exit, no traceback, no secret."""

from __future__ import annotations

import os

import pytest

from tap_auth0_logs.testing import DEFAULT_CLIENT_SECRET, Client, FakeAuth0, TenantLogs
from tests.helpers import run_tap


def assert_clear_failure(run, *phrases: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1 or errors[-1].endswith("Config validation failed"), errors
    assert run.records == []
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr
    for secret in (DEFAULT_CLIENT_SECRET, "s3cr3t-value", "wrong-secret"):
        assert secret not in run.stderr + run.stdout


@pytest.mark.parametrize(
    ("config", "phrases"),
    [
        ({"client_id": "a", "client_secret": "s3cr3t-value"}, ["Setting `domain` is missing"]),
        ({"domain": "acme.us.auth0.com"}, ["No credentials", "client_id", "api_token"]),
        (
            {"domain": "acme.us.auth0.com", "client_id": "a"},
            ["Setting `client_secret` is missing"],
        ),
        (
            {"domain": "acme.us.auth0.com", "api_token": "x", "start_date": "last tuesday"},
            ["Setting `start_date`", "ISO-8601"],
        ),
        (
            {"domain": "http://acme.us.auth0.com", "api_token": "x"},
            ["Setting `domain`", "plain http", "https://"],
        ),
        (
            {"domain": "acme.us.auth0.com", "api_token": "x", "start_log_id": "abc"},
            ["Setting `start_log_id`"],
        ),
        (
            {"domain": "acme.us.auth0.com", "client_id": "a", "client_secret": 12345},
            ["Setting `client_secret` is invalid"],
        ),
        (
            {"domain": "acme.us.auth0.com", "api_token": "x", "rate_limit_reserve": 2},
            ["Setting `rate_limit_reserve` is invalid", "maximum of 0.9"],
        ),
        (
            {"domain": "acme.us.auth0.com", "api_token": "x", "max_requests_per_second": 0},
            ["Setting `max_requests_per_second` is invalid"],
        ),
        (
            {"domain": "acme.us.auth0.com", "api_token": "x", "rate_limit_max_wait": -1},
            ["Setting `rate_limit_max_wait` is invalid", "minimum of 0"],
        ),
    ],
)
def test_bad_config_is_refused_before_any_request(tmp_path, config, phrases):
    run = run_tap(tmp_path, config)

    assert_clear_failure(run, *phrases)
    assert "12345" not in run.stderr


@pytest.fixture
def strict_tenant(make_tenant) -> FakeAuth0:
    clients = {
        "good": Client(DEFAULT_CLIENT_SECRET),
        "no-grant": Client("s3cr3t-value", scopes=None),
        "no-logs-scope": Client("s3cr3t-value", scopes=("read:users",)),
        "no-cc-grant-type": Client("s3cr3t-value", client_credentials_enabled=False),
    }
    return make_tenant(TenantLogs(count=50), clients=clients)


def test_wrong_client_secret(tmp_path, strict_tenant):
    run = run_tap(
        tmp_path, {**strict_tenant.config(), "client_id": "good", "client_secret": "wrong-secret"}
    )
    assert_clear_failure(run, "rejected the client credentials", "`client_secret`")


def test_application_without_a_grant_for_the_management_api(tmp_path, strict_tenant):
    run = run_tap(
        tmp_path,
        {**strict_tenant.config(), "client_id": "no-grant", "client_secret": "s3cr3t-value"},
    )
    assert_clear_failure(run, "authorize the application for the Auth0 Management API", "read:logs")


def test_application_without_client_credentials_grant_type(tmp_path, strict_tenant):
    run = run_tap(
        tmp_path,
        {
            **strict_tenant.config(),
            "client_id": "no-cc-grant-type",
            "client_secret": "s3cr3t-value",
        },
    )
    assert_clear_failure(run, "Client Credentials grant type")


def test_token_without_read_logs_names_the_scope(tmp_path, strict_tenant):
    run = run_tap(
        tmp_path,
        {**strict_tenant.config(), "client_id": "no-logs-scope", "client_secret": "s3cr3t-value"},
    )
    assert_clear_failure(run, "lacks the `read:logs` scope")


def test_invalid_api_token(tmp_path, strict_tenant):
    run = run_tap(tmp_path, {"domain": strict_tenant.base_url, "api_token": "s3cr3t-value"})
    assert_clear_failure(run, "rejected the Management API token", "`api_token`")


def test_secrets_stay_hidden_at_debug_level(tmp_path, strict_tenant):

    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    run = run_tap(tmp_path, {**strict_tenant.config(), "client_id": "good"}, env=env)

    assert run.returncode == 0, run.stderr
    assert DEFAULT_CLIENT_SECRET not in run.stderr
    assert "fake-token-" not in run.stderr  # the bearer token never reaches a log line
