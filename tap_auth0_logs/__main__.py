"""Allow `python -m tap_auth0_logs`."""

from __future__ import annotations

from tap_auth0_logs.cli import main

main()
