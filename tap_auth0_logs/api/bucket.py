"""What the tap knows of the tenant's bucket, and the one step each answer takes it by.

Auth0's Management API bucket is shared by everything the tenant runs (docs/auth0-api.md §5);
answers say its size, the whole requests left and the whole second the next is added. The
simplest model that reached the plan profiles' figures (docs/rate-limits.md):

- **the reset is the truth**: by then the bucket holds one request more than an answer said;
- **the plan's published refill is a prior** (`PLAN_REFILLS`): a small bucket goes at its rate,
  not one request per whole-second reset, and cursors go between answers;
- **a 429, or a level the bound cannot reach** (others spend too), cuts the rate by a fifth; a
  level a request above the bound grows it back, up to the plan's; a reset further than the
  rate allows leaves the reset alone (a bucket of a plan's size that is not that plan's).

Every answer re-bases the bound, so a wrong prior costs at most the requests between two. All
of it is values: `learn` is the one step per answer; `level` and `due` read the bound.

Glossary: this module's words (and `pacing.py`'s) in token-bucket terms. Auth0's rate limit is a
token bucket; a request spends one token.

| here                            | token bucket                                                |
|---------------------------------|-------------------------------------------------------------|
| the bucket                      | the token bucket the whole tenant spends from               |
| `limit` (`x-ratelimit-limit`)   | capacity (burst size)                                       |
| level (`x-ratelimit-remaining`) | tokens left, whole ones                                     |
| `Refill` (`rate`, `continuous`) | refill rate in tokens a second; continuous or once a second |
| reset (`x-ratelimit-reset`)     | when the next token is added (Unix second)                  |
| `Observation`                   | one measurement: an answer's headers, when it was read, and |
|                                 | the requests that may have spent tokens unseen (`overlap`)  |
| `Estimate`                      | the tap's belief: a lower bound on the tokens (`level` at   |
|                                 | `at`), the tokens spent since (`spent`), capacity and rate  |
| `learn`                         | the estimator's update with one measurement                 |
| `level(estimate, now)`          | tokens surely there now                                     |
| reserve, `kept_level`           | tokens never spent: left to the tenant's other clients      |
| `due`                           | when a token can be spent with the reserve left standing    |
| `YIELD_FACTOR` cut / growth     | multiplicative decrease, and increase back, of the rate     |
| `resume_at` (after a 429)       | an empty bucket: no token before then (`Retry-After`)       |
| `Permit` (`pacing.py`)          | a token taken, for one request                              |
| `InFlight` (`pacing.py`)        | tokens taken whose answers have not come back               |
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_RESET_SECONDS = 60.0  # the furthest reset believed: a skewed clock must not stall a run
YIELD_FACTOR = 0.8  # a 429, or a level the rate cannot explain, cuts it by this
#: Added to the kept level where there is a line to keep: Auth0 counts "at 80%" as crossing.
ABOVE = 1e-6
HEADERS = ("x-ratelimit-remaining", "x-ratelimit-limit", "x-ratelimit-reset", "Retry-After")


@dataclass(frozen=True)
class Refill:
    """How the bucket refills: `rate` requests a second, continuously or once a second."""

    rate: float
    continuous: bool = True


#: No refill counted on: the reset alone (a bucket of no published plan's size).
RESET_ONLY = Refill(0.0)
#: Auth0's published Management API limits by bucket size (docs/auth0-api.md §5): 2 is the Free
#: plan's (2 a second), 50 Enterprise's (16 a second), 10 the Essentials and Professional `/logs`
#: bucket's (100 a minute, added once a second: the slowest of the plans' buckets of 10).
PLAN_REFILLS: dict[float, Refill] = {2: Refill(2.0), 10: Refill(100 / 60, False), 50: Refill(16.0)}


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """The number a header holds, or None when it is absent or not a number."""
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class Observation:
    """One answer's rate-limit headers, and the tap's requests around it."""

    at: float  # when the answer was read (local clock)
    level: float | None  # `x-ratelimit-remaining`, None when the answer does not say
    limit: float | None = None
    reset: float | None = None  # Unix seconds
    retry_after: float | None = None
    #: The tap's requests that may be processed after this one (sent after it, or in flight
    #: beside it): its level may count them or not, so the bound counts them spent.
    overlap: int = 0
    stale: bool = False  # a request sent after this one was answered first
    rate_limited: bool = False  # a 429


def read(
    headers: Mapping[str, str], at: float, overlap: int = 0, *, stale: bool = False,
    rate_limited: bool = False,
) -> Observation:  # fmt: skip
    """The `Observation` of an answer's headers."""
    level, limit, reset, retry_after = (header_number(headers, name) for name in HEADERS)
    return Observation(at, level, limit, reset, retry_after, overlap, stale, rate_limited)


def resume_at(observation: Observation) -> float:
    """When Auth0 takes requests again after a 429: `Retry-After`, else the reset."""
    reset = observation.reset or observation.at + 1.0
    wait = reset - observation.at if observation.retry_after is None else observation.retry_after
    return observation.at + min(MAX_RESET_SECONDS, max(0.0, wait))


@dataclass(frozen=True)
class Estimate:
    """What the tap knows of the bucket: a lower bound of its level, and how it refills."""

    level: float | None = None  # at `at`, all the tap sent counted; None: no answer yet
    at: float = -math.inf
    floor: float = 0.0  # the latest answer's level less its overlap
    reset: float = -math.inf  # by then, `floor` + 1
    spent: int = 0  # requests sent since `at`
    limit: float = math.inf  # the bucket's size, once an answer says it
    refill: Refill | None = None  # None until the first answer with a level
    resume_at: float = -math.inf  # after a 429: no request before then

    def sent(self) -> Estimate:
        """One more request sent."""
        return replace(self, spent=self.spent + 1)


def kept_level(limit: float, reserve: float) -> float:
    """The level the tap stays above: the reserve, and a request more for the other clients.

    One of theirs between two refills then stays above Auth0's 80% line; below 10, rounded down.
    """
    if math.isinf(limit) or reserve <= 0:
        return 0.0
    return float(math.floor(reserve * limit)) if limit < 10 else reserve * limit + 1 + ABOVE


def level(estimate: Estimate, now: float) -> float | None:
    """The bound now, less what the tap sent since; never above the bucket's size.

    Refills count from when the answer was read; for a bucket refilled per minute, once a second
    from the reset on.
    """
    if estimate.level is None or estimate.refill is None:
        return estimate.level
    gained = estimate.floor + 1 - estimate.level if now >= estimate.reset else 0.0
    refill = estimate.refill
    seconds = now - estimate.at if refill.continuous else math.floor(now - estimate.reset) + 1.0
    gained = max(gained, refill.rate * max(seconds, 0.0))
    return min(estimate.level + gained, estimate.limit) - estimate.spent


def due(estimate: Estimate, kept: float) -> float:
    """When the bound first lets a request go and stay above `kept` (inf: only an answer can)."""
    assert estimate.level is not None
    wanted = kept + 1 + estimate.spent - estimate.level  # what it must gain since `at`
    if wanted <= 0:
        return estimate.at
    assert estimate.refill is not None
    if kept + 1 + estimate.spent > estimate.limit:
        return math.inf
    by_reset = estimate.reset if estimate.floor + 1 - estimate.level >= wanted else math.inf
    if estimate.refill.rate <= 0:
        return by_reset
    steps = wanted / estimate.refill.rate
    if estimate.refill.continuous:
        return min(by_reset, estimate.at + steps)
    return min(by_reset, estimate.reset + math.ceil(steps) - 1)


def learn(estimate: Estimate, observation: Observation) -> Estimate:
    """What the tap knows after one more answer: the one step each answer takes.

    The bound is the answer's level less the tap's requests that may come after it, or the
    finer prediction where it is less than a request above that. An answer silent on the level
    (an unmetered tenant) or older than one already read teaches only its 429.
    """
    resume = estimate.resume_at
    if observation.rate_limited:
        resume = max(resume, resume_at(observation))
    if observation.level is None or observation.stale:
        unmetered = math.inf if estimate.level is None else estimate.level
        return replace(estimate, level=unmetered, resume_at=resume)
    limit = observation.limit or estimate.limit
    plan = PLAN_REFILLS.get(limit, RESET_ONLY)
    refill = estimate.refill or plan
    floor = observation.level - observation.overlap
    predicted = level(estimate, observation.at)
    predicted = floor if predicted is None else predicted
    rate = _rate(refill.rate, plan.rate, observation, predicted, floor < limit - 1)
    reset = observation.reset or observation.at + 1.0
    if observation.rate_limited:
        reset = resume_at(observation)
    return Estimate(
        level=predicted if floor <= predicted < floor + 1 else floor,
        at=observation.at,
        floor=floor,
        reset=min(reset, observation.at + MAX_RESET_SECONDS),
        limit=limit,
        refill=replace(refill, rate=rate),
        resume_at=resume,
    )


def _rate(
    rate: float, plan: float, observation: Observation, predicted: float, below_full: bool
) -> float:
    """The refill rate after an answer read in order (see the module's docstring).

    A full bucket refills nothing, so it tells nothing of the rate.
    """
    assert observation.level is not None
    if (observation.reset or observation.at) - observation.at > 1 / max(rate, 1e-9) + 1:
        return 0.0
    if observation.rate_limited or predicted >= observation.level + 1:
        return rate * YIELD_FACTOR
    if not below_full:
        return rate
    floor = observation.level - observation.overlap
    return min(plan, rate / YIELD_FACTOR) if floor >= predicted + 1 else rate
