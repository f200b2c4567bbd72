"""Check the PostgreSQL settings target-postgres and dbt-postgres share, before either runs.

    meltano run dbt-postgres:check tap-auth0-logs target-postgres dbt-postgres:build

Both plugins read the variables a user sets for the loader, `TARGET_POSTGRES_HOST`, `_PORT`,
`_USER`, `_PASSWORD` and `_DATABASE` (in the environment, or kept with `meltano config set
--store=dotenv target-postgres user …`); meltano.yml hands them to this plugin as `DBT_POSTGRES_*`.
A missing one, or a database that does not answer, is one line here with its fix; the loader
would fail on it with a traceback of its own, after the extract. Runs with the dbt-postgres
plugin's own Python (its psycopg2).
"""

from __future__ import annotations

import os
import sys

#: What the user sets → what this plugin is handed, what it is, and its default (as the loader's).
SETTINGS = {
    "TARGET_POSTGRES_HOST": ("DBT_POSTGRES_HOST", "the server's host", "localhost"),
    "TARGET_POSTGRES_PORT": ("DBT_POSTGRES_PORT", "its port", "5432"),
    "TARGET_POSTGRES_USER": ("DBT_POSTGRES_USER", "the user", None),
    "TARGET_POSTGRES_PASSWORD": ("DBT_POSTGRES_PASSWORD", "the user's password", None),
    "TARGET_POSTGRES_DATABASE": ("DBT_POSTGRES_DATABASE", "the database the logs go into", None),
}


def problem(environ: dict[str, str]) -> str | None:
    """The one line saying what is wrong with the settings, or None."""
    values = {
        name: environ.get(handed) or default for name, (handed, _, default) in SETTINGS.items()
    }
    missing = [name for name, value in values.items() if not value]
    if missing:
        named = ", ".join(f"{name} ({SETTINGS[name][1]})" for name in missing)
        them = "them" if len(missing) > 1 else "it"
        first = missing[0].removeprefix("TARGET_POSTGRES_").lower()
        return (
            f"PostgreSQL setting{'s' if len(missing) > 1 else ''} missing: {named}. Set {them} "
            f"in the environment, or keep {them} in .env: .venv/bin/meltano config set "
            f"--store=dotenv target-postgres {first} …"
        )
    import psycopg2  # noqa: PLC0415 (the dbt-postgres plugin's environment has it)

    host, port, user, password, database = (str(value) for value in values.values())
    try:
        psycopg2.connect(
            host=host,
            port=int(port),
            user=user,
            password=password,
            dbname=database,
            connect_timeout=10,
        ).close()
    except (psycopg2.Error, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (
            f"Cannot connect to PostgreSQL as {user}@{host}:{port}/{database} ({reason}): "
            "check TARGET_POSTGRES_*."
        )
    return None


def main() -> None:
    """Exit 0 when the settings are there and the database answers; else one line, exit 1."""
    said = problem(dict(os.environ))
    if said is not None:
        sys.exit(said)
    print("PostgreSQL settings: complete, and the database answers.")


if __name__ == "__main__":
    main()
