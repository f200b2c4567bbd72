"""Serve a fake Auth0 tenant on 127.0.0.1, to try the tap or test a pipeline without a tenant.

    python -m tap_auth0_logs.testing --logs 5000 --port 8080
    python -m tap_auth0_logs.testing --plant brute_force@1200 --plant mfa_fatigue@3000

It prints a tap config for itself and serves until interrupted; the config asks tokens for the
tenant's Management API identifier, `https://<tenant-name>.us.auth0.com/api/v2/`, so the tap names
the tenant `<tenant-name>.us.auth0.com` whatever port it is served on (two fake tenants of two
names are two tenants in one warehouse). The tenant answers like Auth0
(docs/auth0-api.md): checkpoint and search modes, one log by id, a user's logs, the token
endpoint, Auth0's error bodies and a rate-limit bucket with its headers. `--plant KIND@NUMBER`
hides an attack among the ordinary traffic from that log on (the kinds: testing/attacks.py).
"""

from __future__ import annotations

import argparse
import json
import threading

from tap_auth0_logs.testing.attacks import KINDS, Attack
from tap_auth0_logs.testing.logs import TenantLogs
from tap_auth0_logs.testing.server import FakeAuth0, Faults, RateLimit


def main(argv: list[str] | None = None) -> None:
    """Parse the options, start the tenant, print its config, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tap_auth0_logs.testing", description=__doc__)
    parser.add_argument("--logs", type=int, default=5000, help="log events the tenant keeps")
    parser.add_argument("--users", type=int, default=200, help="distinct users in the logs")
    parser.add_argument(
        "--tenant-name", default="fake-tenant", help="the tenant's name, in its logs"
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument(
        "--rate", type=float, default=1000.0, help="requests per second the bucket refills"
    )
    parser.add_argument("--burst", type=int, default=1000, help="requests the bucket holds")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to answers")
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of API answers that are 5xx"
    )
    parser.add_argument(
        "--plant",
        action="append",
        default=[],
        metavar="KIND@LOG_NUMBER",
        help=f"plant an attack among the ordinary traffic; kinds: {', '.join(KINDS)}",
    )
    args = parser.parse_args(argv)
    try:
        attacks = tuple(Attack.parse(text) for text in args.plant)
        logs = TenantLogs(
            count=args.logs, users=args.users, attacks=attacks, tenant_name=args.tenant_name
        )
    except ValueError as exc:
        parser.error(str(exc))
    tenant = FakeAuth0(
        logs,
        rate_limit=RateLimit(per_second=args.rate, burst=args.burst),
        faults=Faults(latency=args.latency, error_rate=args.error_rate),
    )
    try:
        tenant.start(port=args.port)
    except OSError as exc:
        parser.exit(
            2,
            f"Cannot serve on 127.0.0.1:{args.port} ({exc.strerror}): choose another --port, "
            "or leave it out for a free one.\n",
        )
    print(f"Fake Auth0 tenant with {args.logs:,} logs at {tenant.base_url}", flush=True)
    print("Tap config:", json.dumps(tenant.config(audience=tenant.api_identifier)), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        tenant.stop()


if __name__ == "__main__":
    main()
