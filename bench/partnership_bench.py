"""Tickler firing speed, printed as one plain-text table (`.venv/bin/python bench/partnership_bench.py`).

On a throw-away database (SQLite in a temporary PARTNERDESK_HOME, or BENCH_DATABASE_URL):

1. One worker pass (`ticklers_fire_due`) over N due check-in reminders (default 10,000), one for
   each of N partners with a contact each: claim each row with a conditional update, queue the check-in email
   in the outbox, record the outcome, one transaction per reminder; in reminders/s.
2. The same pass with a handler that does nothing: the cost of the claim machinery alone.
3. The bare peers: N conditional one-row UPDATEs in one transaction, and one plain UPDATE of
   the N rows.

The ratios of (1) and (2) to the one-row UPDATEs are the figures to compare between runs and
machines. Every time is the best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from common import Line, best_of, print_table, throwaway_home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    with throwaway_home("partnerdesk-partnership-bench-"):
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        from partnerdesk.lib import clock
        from partnerdesk.mail.models import OutboxMessage
        from partnerdesk.partnership import ticklers
        from partnerdesk.partnership.models import CheckIn, Tickler
        from partnerdesk.pipeline.models import Contact, Engagement, EngagementContact, Organization

        call_command("migrate", verbosity=0)
        n = args.reminders
        today = clock.today()
        # One check-in due today for each of N partners: a partnership has one current item of a
        # kind (older ones are missed, not sent), so a pass's load is the number of partners.
        organizations = Organization.objects.bulk_create(
            [Organization(name=f"Bench University {number}") for number in range(n)], batch_size=1000
        )
        contacts = Contact.objects.bulk_create(
            [
                Contact(
                    organization=org, name=f"Lee Park {number}", email=f"lee{number}@u{number}.example.edu"
                )
                for number, org in enumerate(organizations)
            ],
            batch_size=1000,
        )
        now = clock.now()
        engagements = Engagement.objects.bulk_create(
            [
                Engagement(organization=org, stage="partner", stage_changed_at=now, created_at=now)
                for org in organizations
            ],
            batch_size=1000,
        )
        EngagementContact.objects.bulk_create(
            [EngagementContact(engagement=e, contact=c) for e, c in zip(engagements, contacts, strict=True)],
            batch_size=1000,
        )

        def seed() -> None:
            OutboxMessage.objects.all().delete()
            CheckIn.objects.all().delete()
            Tickler.objects.all().delete()
            Tickler.objects.bulk_create(
                (
                    Tickler(
                        key=f"bench:{number}",
                        kind="check_in",
                        engagement=engagement,
                        due_on=today,
                        payload={"number": number},
                        created_at=clock.now(),
                    )
                    for number, engagement in enumerate(engagements)
                ),
                batch_size=1000,
            )

        def fire() -> None:
            report = ticklers.ticklers_fire_due()
            assert report.fired == n and report.failed == 0, report

        real = best_of(args.repeat, fire, seed)
        assert OutboxMessage.objects.count() == n

        handlers = {kind: (lambda tickler: "ok") for kind in Tickler.Kind.values}
        original = ticklers._handlers
        ticklers._handlers = lambda: handlers
        bare_machinery = best_of(args.repeat, fire, seed)
        ticklers._handlers = original

        def row_updates() -> None:
            now = clock.now()
            ids = list(Tickler.objects.values_list("id", flat=True))
            with transaction.atomic():
                for tickler_id in ids:
                    Tickler.objects.filter(pk=tickler_id, fired_at__isnull=True).update(fired_at=now)

        peer_rows = best_of(args.repeat, row_updates, seed)

        def one_update() -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE partnership_tickler SET fired_at = %s WHERE fired_at IS NULL", [clock.now()]
                )

        peer_one = best_of(args.repeat, one_update, seed)

    table: list[Line] = [
        ("measure", "value", "unit", "ratio / notes"),
        ("worker pass: check-in reminders", f"{n / real:,.0f}", "reminders/s",
         f"{real / peer_rows:.1f}x the one-row UPDATEs; {n:,} reminders, {n:,} emails queued"),
        ("worker pass: claim only (no-op handler)", f"{n / bare_machinery:,.0f}", "reminders/s",
         f"{bare_machinery / peer_rows:.1f}x the one-row UPDATEs"),
        ("peer: one-row conditional UPDATEs, 1 transaction", f"{n / peer_rows:,.0f}", "rows/s",
         "the bare peer"),
        ("peer: one plain UPDATE of all rows", f"{n / peer_one:,.0f}", "rows/s", f"{peer_one * 1000:.1f} ms"),
        ("database", connection.vendor, "", f"Python {platform.python_version()}, best of {args.repeat}"),
    ]  # fmt: skip
    print_table(table)


if __name__ == "__main__":
    main()
