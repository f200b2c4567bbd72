"""Keyed pseudonyms, the retention countdown and lost windows, end to end and in process."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tap_auth0_logs.records.pseudonyms import DEFAULT_FIELDS, Pseudonymizer, expand_fields
from tap_auth0_logs.testing import TenantLogs
from tests.helpers import expired_bookmark, run_tap

SAMPLES = tuple(json.loads((Path(__file__).parent / "sample_logs.json").read_text()))
KEY = "k3y-kept-apart-from-the-data"
PSEUDONYM = re.compile(r"^hmac-sha256:1:[0-9a-f]{64}$")
DEBUG = {**os.environ, "LOGLEVEL": "DEBUG"}


def values_at(event: Any, path: list[str]) -> list[str]:
    """The non-empty scalar values at a dotted path (lists walked), as text."""
    if isinstance(event, list):
        return [v for item in event for v in values_at(item, path)]
    if not isinstance(event, dict) or path[0] not in event:
        return []
    value = event[path[0]]
    if len(path) > 1:
        return values_at(value, path[1:])
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, str | int | float) and str(v)]


def personal_values() -> set[str]:
    return {v for event in SAMPLES for f in DEFAULT_FIELDS for v in values_at(event, f.split("."))}


def sample_tenant(make_tenant, **kwargs):
    return make_tenant(TenantLogs(count=70, templates=SAMPLES, **kwargs))


# --- pseudonyms, in process ----------------------------------------------------------------


def test_a_pseudonym_is_keyed_versioned_and_the_same_for_the_same_value():
    one = Pseudonymizer(KEY, "1", expand_fields(None))
    again = Pseudonymizer(KEY, "1", expand_fields(["default"]))
    other = Pseudonymizer("another-key-kept-apart", "2", expand_fields(None))
    assert PSEUDONYM.match(one.of("jdoe@example.com"))
    assert one.of("jdoe@example.com") == again.of("jdoe@example.com")
    assert other.of("jdoe@example.com").startswith("hmac-sha256:2:")
    assert other.of("jdoe@example.com")[14:] != one.of("jdoe@example.com")[14:]
    assert one.of("") == ""
    assert "k3y" not in repr(one)


def test_one_person_is_one_pseudonym_however_an_address_is_written():
    one = Pseudonymizer(KEY, "1", expand_fields(None))
    assert one.of("JDoe@Example.COM") == one.of("jdoe@example.com")
    assert one.of("2001:DB8:0:0::1") == one.of("2001:db8::1")
    assert one.of("::ffff:192.0.2.1") == one.of("192.0.2.1")
    assert one.of("auth0|ABC") != one.of("auth0|abc")  # ids and names are taken as they are
    # A value already canonical keeps the pseudonym it had before canonical forms were taken.
    digest = hmac.new(KEY.encode(), b"jdoe@example.com", hashlib.sha256).hexdigest()
    assert one.of("jdoe@example.com") == f"hmac-sha256:1:{digest}"
    text = one.in_text("To: JDoe@Example.com from 2001:DB8::0:1.")
    assert text == f"To: {one.of('jdoe@example.com')} from {one.of('2001:db8::1')}."


def test_every_place_a_sample_event_repeats_personal_data_is_pseudonymised():
    pseudonyms = Pseudonymizer(KEY, "1", expand_fields(None))
    for sample in SAMPLES:
        event = pseudonyms.apply(json.loads(json.dumps(sample)))
        text = json.dumps(event)
        for value in personal_values():
            assert value not in text, value
        assert set(event) == set(sample)  # a field the event lacks stays absent
        for field in ("user_id", "user_name", "ip"):
            if sample.get(field):
                assert PSEUDONYM.match(event[field])


def test_extra_fields_extend_the_defaults_and_free_text_follows():
    fields = expand_fields(["default", "details.email_type"])
    assert fields[: len(DEFAULT_FIELDS)] == DEFAULT_FIELDS
    event = {"user_name": "a@example.com", "description": "To: a@example.com", "details": None}
    Pseudonymizer(KEY, "1", fields).apply(event)
    assert event["description"] == f"To: {event['user_name']}"
    assert event["details"] is None


def test_every_email_and_ip_address_in_free_text_is_pseudonymised_even_when_no_field_names_it():
    pseudonyms = Pseudonymizer(KEY, "1", expand_fields(None))
    event: dict[str, Any] = {
        "type": "fn",
        "description": "To: Invitee.9+x@example.org; from 203.0.113.7. Retry at 12:30:45 (v1.2)",
        "details": {"error": {"message": "Blocked 2001:db8::1 for jdoe@example.com"}},
    }

    pseudonyms.apply(event)

    assert event["description"] == (
        f"To: {pseudonyms.of('Invitee.9+x@example.org')}; from {pseudonyms.of('203.0.113.7')}. "
        "Retry at 12:30:45 (v1.2)"  # a time and a version are not addresses
    )
    assert event["details"]["error"]["message"] == (
        f"Blocked {pseudonyms.of('2001:db8::1')} for {pseudonyms.of('jdoe@example.com')}"
    )
    again = json.loads(json.dumps(event))
    assert pseudonyms.apply(again) == event  # a pseudonym is never taken for an address


def test_every_email_address_in_a_management_api_body_is_pseudonymised_and_its_ranges_stay():
    """A Dashboard member invited names them in the request and the answer; an allow-list stays."""
    pseudonyms = Pseudonymizer(KEY, "1", expand_fields(None))
    invitee = "New.Hire@example.com"
    event: dict[str, Any] = {
        "type": "sapi",
        "details": {
            "request": {
                "path": "/api/v2/tenants/invitations",
                "body": {"owners": [invitee], "roles": ["editor"], "allowlist": ["192.0.2.0/24"]},
            },
            "response": {"statusCode": 201, "body": [{"email": invitee, "roles": ["editor"]}]},
        },
    }

    pseudonyms.apply(event)

    request, response = event["details"]["request"], event["details"]["response"]
    assert request["body"]["owners"] == [pseudonyms.of("new.hire@example.com")]  # one person
    assert response["body"][0]["email"] == pseudonyms.of(invitee)
    assert request["body"]["allowlist"] == ["192.0.2.0/24"]  # the tenant's settings, no person
    assert request["body"]["roles"] == ["editor"]


# --- pseudonyms, end to end ------------------------------------------------------------------


PLAIN_EMAIL = re.compile(r"[\w.+-]+@example\.(?:com|org)")


def test_no_email_address_is_left_in_any_text_of_a_generated_tenant(tmp_path, make_tenant):
    """Failed notifications name their recipient in `description`; invitations name no user."""
    tenant = make_tenant(TenantLogs(count=1500))
    fn = [log for log in tenant.logs.kept() if log["type"] == "fn"]
    assert any(PLAIN_EMAIL.search(log["description"]) for log in fn)
    assert any(not log.get("user_name") for log in fn)  # the address is only in the text

    run = run_tap(tmp_path, tenant.config(pseudonymize_key=KEY), env=DEBUG)

    assert run.returncode == 0, run.stderr
    assert PLAIN_EMAIL.findall(run.stdout + run.stderr) == []
    recipients = [r["description"] for r in run.records if r["type"] == "fn"]
    assert len(recipients) == len(fn)
    assert all(re.fullmatch(r"To: hmac-sha256:1:[0-9a-f]{64}", text) for text in recipients)


@pytest.mark.slow
def test_no_plain_personal_value_reaches_any_output_and_pseudonyms_join(tmp_path, make_tenant):
    tenant = sample_tenant(make_tenant)
    users = sorted({str(s["user_id"]) for s in SAMPLES if s.get("user_id")})
    config = tenant.config(pseudonymize_key=KEY, user_ids=users)

    run = run_tap(tmp_path, config, env=DEBUG)

    assert run.returncode == 0, run.stderr
    assert sum(1 for m in run.messages if m.get("stream") == "logs" and m["type"] == "RECORD") == 70
    everything = run.stdout + run.stderr
    for value in personal_values():
        assert value not in everything, value
    by_stream: dict[str, set[str]] = {}
    for message in run.messages:
        if message["type"] == "RECORD" and message["record"].get("user_id"):
            assert PSEUDONYM.match(message["record"]["user_id"])
            by_stream.setdefault(message["stream"], set()).add(message["record"]["user_id"])
    assert by_stream["user_logs"] <= by_stream["logs"]  # the same user, the same pseudonym

    again = run_tap(tmp_path, config)
    first = {r["log_id"]: r.get("user_id") for r in run.records}
    assert all(first[r["log_id"]] == r.get("user_id") for r in again.records)

    rotated = run_tap(tmp_path, {**config, "pseudonymize_key": "a-new-key-after-rotation"})
    changed = [r for r in rotated.records if r.get("user_id") and first[r["log_id"]]]
    assert changed
    assert all(first[r["log_id"]] != r["user_id"] for r in changed)


def test_fields_without_a_key_are_refused_before_any_request(tmp_path, make_tenant):
    tenant = sample_tenant(make_tenant)

    run = run_tap(tmp_path, tenant.config(pseudonymize_fields=["default"]))

    assert run.returncode != 0
    assert "`pseudonymize_key` is missing" in run.stderr
    assert "Traceback" not in run.stderr
    assert tenant.requests == []


def test_the_tenant_is_never_a_pseudonym_and_asking_for_it_is_refused(tmp_path, make_tenant):
    tenant = sample_tenant(make_tenant)
    fields = ["default", "tenant"]

    run = run_tap(tmp_path, tenant.config(pseudonymize_key=KEY, pseudonymize_fields=fields))

    assert run.returncode != 0
    assert "`tenant` names the tenant a record came from" in run.stderr
    assert "Traceback" not in run.stderr
    assert tenant.requests == []


def test_a_short_key_is_refused_and_never_shown(tmp_path, make_tenant):
    tenant = sample_tenant(make_tenant)

    run = run_tap(tmp_path, tenant.config(pseudonymize_key="short-s3cret"))

    assert run.returncode != 0
    assert "`pseudonymize_key` is too short" in run.stderr
    assert "short-s3cret" not in run.stderr
    assert tenant.requests == []


# --- retention ---------------------------------------------------------------------------


def recent_logs(newest_age: timedelta, span: timedelta, count: int = 300) -> TenantLogs:
    """Logs spread over `span`, the newest `newest_age` old (the fake keeps them all)."""
    start = datetime.now(UTC) - newest_age - span
    return TenantLogs(count=count, start=start, gap=span.total_seconds() / count)


def closing_line(stderr: str) -> str:
    return next(line for line in stderr.splitlines() if "Retention: " in line)


def test_a_fresh_bookmark_leaves_the_whole_retention(tmp_path, make_tenant):
    tenant = make_tenant(recent_logs(timedelta(minutes=5), timedelta(days=2)))

    run = run_tap(tmp_path, tenant.config())

    assert run.returncode == 0, run.stderr
    line = closing_line(run.stderr)
    assert "INFO" in line
    assert "the `logs` bookmark is 0.0 days old and the tenant keeps about 2.0 days" in line
    assert "the next run must start within 2.0 days" in line


def test_an_old_bookmark_is_a_warning_with_the_time_left(tmp_path, make_tenant):
    tenant = make_tenant(recent_logs(timedelta(days=3.9), timedelta(days=1.1)))

    run = run_tap(tmp_path, tenant.config())

    line = closing_line(run.stderr)
    assert "WARNING" in line
    assert "bookmark is 3.9 days old and the tenant keeps about 5.0 days" in line
    assert "the next run must start within 1.1 days" in line
    # `retention_days` wins over the oldest log, and no request is made for it.
    requests = len(tenant.api_requests())
    run = run_tap(tmp_path, tenant.config(retention_days=30), run.final_state)
    assert "keeps 30.0 days: the next run must start within 26.1 days" in closing_line(run.stderr)
    assert len(tenant.api_requests()) - requests == 2  # the bookmark's log, one empty page


# --- lost windows ------------------------------------------------------------------------


def test_an_expired_bookmarks_window_is_named_and_kept_in_state_across_runs(tmp_path, make_tenant):
    tenant = make_tenant(TenantLogs(count=1500))
    ids = tenant.logs.ids()
    state = expired_bookmark(tenant, 300, first_kept=700)
    oldest = min(tenant.logs.kept(), key=lambda log: log["date"])  # the oldest by date

    run = run_tap(tmp_path, tenant.config(), state)

    assert run.returncode == 0, run.stderr
    warning = next(line for line in run.stderr.splitlines() if "no longer kept" in line)
    assert f"after log {ids[300]}" in warning
    assert f"{oldest['date']} (before log {oldest['log_id']})" in warning
    gaps = run.final_stream_state().gaps
    assert [(g["after_log_id"], g["before_log_id"], g["before"]) for g in gaps] == [
        (ids[300], oldest["log_id"], oldest["date"])
    ]
    assert gaps[0]["after"].startswith("2026-11-01T00:")

    oldest_lookups = [r for r in tenant.api_requests() if r.query.get("sort") == ["date:1"]]
    assert len(oldest_lookups) == 1  # for the start and the countdown alike: one a run

    later = run_tap(tmp_path, tenant.config(), run.final_state)
    assert later.returncode == 0, later.stderr
    assert later.final_stream_state().gaps == gaps
