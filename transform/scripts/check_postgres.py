"""Check the PostgreSQL settings target-postgres and dbt-postgres share, before either runs.

    meltano run dbt-postgres:check tap-auth0-logs target-postgres dbt-postgres:build

Both plugins read the same variables, `TARGET_POSTGRES_HOST`, `_PORT`, `_USER`, `_PASSWORD` and
`_DATABASE` (meltano.yml; set them in the environment or with `meltano config set --store=dotenv
target-postgres user …`). A missing one, or a database that does not answer, is one line here
with its fix; the loader would fail on it with a traceback of its own, after the extract.
Runs with the dbt-postgres plugin's own Python (its psycopg2).
"""

from __future__ import annotations

import os
import sys

#: Each setting both plugins read, and what it is (`host` and `port` have defaults in meltano.yml).
SETTINGS = {
    "TARGET_POSTGRES_HOST": "the server's host",
    "TARGET_POSTGRES_PORT": "its port",
    "TARGET_POSTGRES_USER": "the user",
    "TARGET_POSTGRES_PASSWORD": "the user's password",
    "TARGET_POSTGRES_DATABASE": "the database the logs are loaded into",
}


def problem(environ: dict[str, str]) -> str | None:
    """The one line saying what is wrong with the settings, or None."""
    missing = [name for name in SETTINGS if not environ.get(name)]
    if missing:
        named = ", ".join(f"{name} ({SETTINGS[name]})" for name in missing)
        them = "them" if len(missing) > 1 else "it"
        first = missing[0].removeprefix("TARGET_POSTGRES_").lower()
        return (
            f"PostgreSQL setting{'s' if len(missing) > 1 else ''} missing: {named}. Set {them} "
            f"in the environment, or keep {them} in .env: .venv/bin/meltano config set "
            f"--store=dotenv target-postgres {first} …"
        )
    import psycopg2  # noqa: PLC0415 (the dbt-postgres plugin's environment has it)

    where = (
        f"{environ['TARGET_POSTGRES_USER']}@{environ['TARGET_POSTGRES_HOST']}:"
        f"{environ['TARGET_POSTGRES_PORT']}/{environ['TARGET_POSTGRES_DATABASE']}"
    )
    try:
        psycopg2.connect(
            host=environ["TARGET_POSTGRES_HOST"],
            port=int(environ["TARGET_POSTGRES_PORT"]),
            user=environ["TARGET_POSTGRES_USER"],
            password=environ["TARGET_POSTGRES_PASSWORD"],
            dbname=environ["TARGET_POSTGRES_DATABASE"],
            connect_timeout=10,
        ).close()
    except (psycopg2.Error, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"Cannot connect to PostgreSQL as {where} ({reason}): check TARGET_POSTGRES_*."
    return None


def main() -> None:
    """Exit 0 when the settings are there and the database answers; else one line, exit 1."""
    said = problem(dict(os.environ))
    if said is not None:
        sys.exit(said)
    print("PostgreSQL settings: complete, and the database answers.")


if __name__ == "__main__":
    main()
