"""A fake Auth0 tenant for tests, benchmarks and the demo (see `server.py`), and simulated time."""

from tap_auth0_logs.testing.attacks import ATTACKS, LOOK_ALIKES, Attack, Finding, user_id_for
from tap_auth0_logs.testing.clock import SimulatedClock
from tap_auth0_logs.testing.logs import Burst, TenantLogs
from tap_auth0_logs.testing.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Client,
    FakeAuth0,
    Faults,
    RateLimit,
)

__all__ = [
    "ATTACKS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "LOOK_ALIKES",
    "Attack",
    "Burst",
    "Client",
    "FakeAuth0",
    "Faults",
    "Finding",
    "RateLimit",
    "SimulatedClock",
    "TenantLogs",
    "user_id_for",
]
