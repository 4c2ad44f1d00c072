"""Deletes the conversations whose latest event is older than N days (events, windows, assessments,
votes, handoffs): `python -m scripts.retention --days 30` or `make retention DAYS=30`.

The number of days comes from --days, else from IMP_RETENTION_DAYS; the database from
--database-url, else IMP_DATABASE_URL (the run command's SQLite file by default). Run it
from cron or a systemd timer, e.g. daily.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.engine import make_url

from actions.core import privacy
from actions.core.repository import make_engine
from actions.core.settings import database_url


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, apply the retention period, print what was deleted."""
    parser = argparse.ArgumentParser(prog="python -m scripts.retention", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--days", help=f"keep conversations this many days (default: ${privacy.RETENTION_DAYS_ENV})"
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: $IMP_DATABASE_URL)")
    args = parser.parse_args(argv)
    try:
        days = privacy.parse_days(args.days) if args.days else privacy.retention_days()
    except ValueError as error:
        parser.error(str(error))
    if days is None:
        parser.error(f"give --days N or set {privacy.RETENTION_DAYS_ENV}")
    url = args.database_url or database_url()
    engine = make_engine(url)
    try:
        report = privacy.apply_retention(engine, days)
    except Exception as error:  # a database error: one readable line, no traceback
        cause = getattr(error, "orig", None) or error
        print(
            f"retention failed on {make_url(url).render_as_string(hide_password=True)}: {cause}",
            file=sys.stderr,
        )
        return 1
    finally:
        engine.dispose()
    print(f"Retention {days:g} days: deleted {report.summary()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
