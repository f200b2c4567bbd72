"""Pure pieces: log ids, the event-type table, the record schema, the domain setting."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from jsonschema import Draft202012Validator
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel
from urllib3.exceptions import MaxRetryError, NameResolutionError

from tap_auth0_logs.api.retry import DNS_TRIES, MAX_FAILURES, Budget
from tap_auth0_logs.pagination import log_ids
from tap_auth0_logs.pagination.start_points import OldestLog
from tap_auth0_logs.records.event_types import describe, event_type_names
from tap_auth0_logs.records.schema import (
    KNOWN_FIELDS,
    LOG_EVENT,
    gather_extra_fields,
    normalize_scope,
)
from tap_auth0_logs.singer.output import StdoutBuffer
from tap_auth0_logs.singer.settings import CONFIG_SCHEMA, DEFAULTS, Settings, tenant_base_url
from tests.lock_order import checked_lock_order

if TYPE_CHECKING:
    from collections.abc import Callable

SAMPLES = json.loads((Path(__file__).parent / "sample_logs.json").read_text())


def test_timestamp_is_read_from_a_real_log_id():
    moment = log_ids.timestamp_of("90020230314144709188593000000000000001223372037868840734")
    assert moment == datetime(2023, 3, 14, 14, 47, 9, 188593, tzinfo=UTC)


def test_timestamp_of_a_malformed_id_is_none():
    assert log_ids.timestamp_of("123") is None
    assert log_ids.timestamp_of("9002023139914470918859300000000000000122337203786884073x") is None


def test_checkpoint_before_sorts_between_earlier_and_later_logs():
    moment = datetime(2024, 3, 8, 3, 59, 5, 601176, tzinfo=UTC)
    at_moment = "90020240308035905601176000000000000001223372052035100532"
    just_before = "90020240308035905601175999999999999999999999999999999999"
    checkpoint = log_ids.checkpoint_before(moment)
    assert len(checkpoint) == 56
    assert just_before <= checkpoint < at_moment


def test_parse_datetime_treats_a_naive_value_as_utc():
    assert log_ids.parse_datetime("2026-11-01T00:00:00") == datetime(2026, 11, 1, tzinfo=UTC)
    assert log_ids.parse_datetime("2026-11-01T01:00:00+01:00") == datetime(2026, 11, 1, tzinfo=UTC)


def test_event_type_table_holds_every_code_with_a_short_name():
    names = event_type_names()
    assert len(names) == 185
    assert describe("s") == "Success Login"
    assert describe("fp") == "Failed Login (Incorrect Password)"
    assert describe("api_limit") == "Rate Limit on the Authentication or Management APIs"
    assert describe("fscim") == "Failed SCIM Operation"  # our provenance note is dropped
    assert describe("brand_new_code") is None
    assert describe(None) is None


@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_sample_logs_validate_against_the_schema_after_processing(index):
    record = gather_extra_fields(normalize_scope(dict(SAMPLES[index])))
    record["type_description"] = describe(record.get("type"))
    conformed = conform_record_data_types(
        "logs", record, LOG_EVENT, TypeConformanceLevel.RECURSIVE, logging.getLogger("t")
    )
    validator = Draft202012Validator(LOG_EVENT, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(conformed)) == []
    assert conformed == record  # conformance keeps every field the sample had


def test_sample_fields_are_all_known_to_the_schema():
    unknown = {key for sample in SAMPLES for key in sample} - KNOWN_FIELDS
    assert unknown == set()


def test_unknown_top_level_keys_are_gathered_not_dropped():
    record = gather_extra_fields({"log_id": "1", "type": "s", "new_key": {"a": 1}, "other": 2})
    assert record == {"log_id": "1", "type": "s", "extra_fields": {"new_key": {"a": 1}, "other": 2}}
    assert gather_extra_fields({"log_id": "1"})["extra_fields"] is None


def test_auth0_client_is_an_object_and_a_list_of_them_is_kept_in_extra_fields():
    """One type (an object) for loaders that type each column, Airbyte's among them."""
    declared = LOG_EVENT["properties"]["auth0_client"]
    assert "array" not in declared["type"]
    assert "object" in declared["type"]
    client = {"name": "auth0.js", "version": "9.23.0", "env": {"node": "18"}}
    assert gather_extra_fields({"log_id": "1", "auth0_client": client})["auth0_client"] == client
    listed = [{"name": "auth0.js"}, {"name": "lock"}]
    record = gather_extra_fields({"log_id": "1", "auth0_client": listed})
    assert record == {"log_id": "1", "extra_fields": {"auth0_client": listed}}
    assert Draft202012Validator(LOG_EVENT).is_valid({"log_id": "1", "auth0_client": client})


def test_scope_string_or_list_becomes_a_list():
    assert normalize_scope({"scope": "read:logs read:users"})["scope"] == [
        "read:logs",
        "read:users",
    ]
    assert normalize_scope({"scope": ["read:logs"]})["scope"] == ["read:logs"]
    assert "scope" not in normalize_scope({})
    validator = Draft202012Validator(LOG_EVENT)
    assert validator.is_valid({"log_id": "1", "scope": ["read:logs"]})
    assert not validator.is_valid({"log_id": "1", "scope": 3})


@pytest.mark.parametrize(
    ("domain", "base"),
    [
        ("acme.us.auth0.com", "https://acme.us.auth0.com"),
        ("https://acme.us.auth0.com/", "https://acme.us.auth0.com"),
        (" acme.eu.auth0.com ", "https://acme.eu.auth0.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9000/", "http://localhost:9000"),
    ],
)
def test_domain_forms_that_are_accepted(domain, base):
    assert tenant_base_url(domain) == base


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("http://acme.us.auth0.com", "plain http"),
        ("http://10.0.0.5:8080", "plain http"),
        ("https://acme.us.auth0.com/api/v2", "without a path"),
        ("ftp://acme.us.auth0.com", "not a domain"),
        ("", "empty"),
    ],
)
def test_domain_forms_that_are_refused(domain, reason):
    with pytest.raises(ValueError, match=reason):
        tenant_base_url(domain)


def test_log_id_numbers_round_trip_and_bisect_in_time():
    log_id = "90020230314144709188593000000000000001223372037868840734"
    assert log_ids.from_number(log_ids.to_number(log_id)) == log_id
    low = log_ids.checkpoint_before(datetime(2026, 11, 1, tzinfo=UTC))
    high = log_ids.checkpoint_before(datetime(2026, 11, 3, tzinfo=UTC))
    middle = log_ids.midpoint(low, high)
    assert middle is not None
    assert low < middle < high
    assert log_ids.timestamp_of(middle) == datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert log_ids.midpoint(middle, middle) is None


def _failures(budget: Budget, exc: BaseException, count: int) -> list[float | None]:
    waits: list[float | None] = []
    for _ in range(count):
        retry = budget.after_failure("why", 0.5, exc)
        waits.append(None if retry is None else retry.wait)
        if retry is not None:
            budget = retry.budget
    return waits


def test_retry_budget_gives_up_at_once_on_tls_and_soon_on_dns():
    assert Budget(900).after_failure("tls", 0.5, requests.exceptions.SSLError("bad cert")) is None
    dns = requests.exceptions.ConnectionError(
        MaxRetryError(
            None,  # type: ignore[arg-type]
            "/",
            NameResolutionError("no-such-tenant.invalid", None, socket.gaierror(-2, "unknown")),  # type: ignore[arg-type]
        )
    )
    waits = _failures(Budget(900), dns, DNS_TRIES)
    assert None not in waits[:-1]
    assert waits[-1] is None
    waits = _failures(Budget(900), ConnectionResetError(), MAX_FAILURES)
    assert None not in waits[:-1]
    assert waits[-1] is None
    # Equal jitter: the wait doubles with each failure, within [ceiling/2, ceiling].
    assert waits[:3] == [0.375, 0.75, 1.5]


def test_retry_budget_bounds_the_total_rate_limit_wait():
    budget = Budget(rate_limit_max_wait=10)
    for _ in range(2):
        retry = budget.after_rate_limit("429", wait=4.0)  # an unpaced request's own wait
        assert retry is not None
        assert retry.wait == 4.0
        budget = retry.budget
    assert budget.rate_limit_waited == 8.0
    assert budget.after_rate_limit("429", wait=4.0) is None
    # A paced request's wait is the pacer's, charged when it has been waited.
    paced = budget.after_rate_limit("429")
    assert paced is not None
    assert paced.wait is None
    assert paced.budget == budget
    assert budget.waited(2.0) is not None
    assert budget.waited(2.5) is None


def test_a_rate_limit_max_wait_of_zero_never_waits_on_a_429():
    assert Budget(0).after_rate_limit("429") is None
    assert Budget(0).after_rate_limit("429", wait=0.5) is None


def test_records_wait_in_a_buffer_even_when_stdout_is_unbuffered(monkeypatch):
    """Under PYTHONUNBUFFERED (common in containers) the writer still flushes only at STATEs."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    raw = io.FileIO(write_end, "wb")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, write_through=True))
    out = StdoutBuffer()

    out.write(b'{"type":"RECORD"}\n')
    with pytest.raises(BlockingIOError):
        os.read(read_end, 100)  # nothing written yet
    out.flush()
    assert os.read(read_end, 100) == b'{"type":"RECORD"}\n'

    out.stream.close()  # what collecting the writer does
    assert not raw.closed  # the buffer is on a duplicate: stdout itself stays open
    raw.close()
    os.close(read_end)


def test_every_default_is_the_schemas_and_zero_is_a_value_not_a_missing_setting():
    properties = CONFIG_SCHEMA["properties"]
    assert DEFAULTS["rate_limit_max_wait"] == properties["rate_limit_max_wait"]["default"]
    settings = Settings.from_config({})
    assert settings.rate_limit_max_wait == DEFAULTS["rate_limit_max_wait"]
    assert settings.rate_limit_reserve == DEFAULTS["rate_limit_reserve"]
    assert settings.backfill_concurrency == DEFAULTS["backfill_concurrency"]
    assert settings.request_timeout == DEFAULTS["request_timeout"]
    assert settings.pseudonymize_key_version == DEFAULTS["pseudonymize_key_version"]
    assert Settings.from_config({"rate_limit_max_wait": 0}).rate_limit_max_wait == 0
    assert Settings.from_config({"rate_limit_reserve": 0}).rate_limit_reserve == 0
    assert properties["rate_limit_max_wait"]["minimum"] == 0


class _SlowSearch:
    """A client whose one search waits for the test's word; it fails first when told to."""

    def __init__(self, fail_first: bool = False) -> None:
        self.asked, self.answer = threading.Event(), threading.Event()
        self.calls = 0
        self.fail_first = fail_first
        #: The locks the asking thread holds (a `LockOrder`'s `held`), as each search is asked.
        self.held: Callable[[], list[str]] = list
        self.held_while_asked: list[list[str]] = []

    def search(self, params: dict[str, object]) -> list[dict[str, str]]:
        self.calls += 1
        self.held_while_asked.append(self.held())
        self.asked.set()
        assert self.answer.wait(5)
        if self.fail_first and self.calls == 1:
            raise requests.exceptions.ConnectionError("dropped")
        return [{"log_id": "9" * 56, "date": "2026-11-01T00:00:00.000Z"}]


def test_the_oldest_log_is_asked_once_and_no_lock_is_held_across_the_request():
    client = _SlowSearch()
    with checked_lock_order() as order:
        client.held = order.held
        oldest = OldestLog(client)  # type: ignore[arg-type]
        results: list[object] = []
        callers = [threading.Thread(target=lambda: results.append(oldest.get())) for _ in range(3)]
        callers[0].start()
        assert client.asked.wait(5)
        for caller in callers[1:]:
            caller.start()
        client.answer.set()
        for caller in callers:
            caller.join(5)
    assert client.held_while_asked == [[]]  # a rate-limited search holds up nobody else
    assert client.calls == 1
    assert len(results) == 3
    assert all(result == results[0] is not None for result in results)


def test_when_asking_for_the_oldest_log_fails_the_next_caller_asks_again():
    client = _SlowSearch(fail_first=True)
    client.answer.set()
    oldest = OldestLog(client)  # type: ignore[arg-type]
    with pytest.raises(requests.exceptions.ConnectionError):
        oldest.get()
    assert oldest.get() is not None
    assert client.calls == 2
