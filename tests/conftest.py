"""Shared fixtures: a fake tenant per test, started and stopped around it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tap_auth0_logs.testing import FakeAuth0, TenantLogs

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def tenant() -> Iterator[FakeAuth0]:
    """A fake tenant with 2,500 logs (25 checkpoint pages)."""
    with FakeAuth0(TenantLogs(count=2500)) as fake:
        yield fake


@pytest.fixture
def make_tenant() -> Iterator[Any]:
    """Build fake tenants with custom logs and switches; all are stopped after the test."""
    started: list[FakeAuth0] = []

    def make(logs: TenantLogs | None = None, **kwargs: Any) -> FakeAuth0:
        fake = FakeAuth0(logs, **kwargs).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()
