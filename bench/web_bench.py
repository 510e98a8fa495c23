"""Board, engagement page and dashboard: server time, page size and query counts, at 1,000 and at
10,000 engagements, printed as one plain-text table.

What it measures, on a throw-away database in a temporary PARTNERDESK_HOME, first with 1,000
engagements, then with 10,000 (`--sizes`), each with a contact and T timeline entries (default
50, three of them stage changes), a third with an agreement (the partners' executed, a year's
term), all bulk-created. Engagements arrive at a steady 2.5 a day: the first 1,000 are the last
400 days, the next 9,000 the years before, so 10,000 is the same team with ten times the history:

1. The pipeline board (`/`), signed in, through django.test.Client: time, size, queries.
2. One column's next page (`/board/lead/?offset=25`), as the "More" link loads it.
3. The engagement list (`/engagements/`): one page of 100 rows, sorted by value.
4. The engagement page (`/engagements/PD-1/`) of an engagement with T timeline entries.
5. The dashboard (`/dashboard/`, this quarter), and its time at 10,000 against its time at 1,000
   (goal: at most 1.5x, the same queries, under 150 ms); then for all time, which reads every
   year, for information.
6. The bare peer: a signed-in page that renders an empty template through the same client and
   middleware (session, auth, CSRF, CSP), so the ratio is what the page itself costs.

Every time is the best of `--repeat` runs (15: a page takes 20 to 50 ms, so on a shared machine
one neighbour's burst outweighs what the goal measures); the query count is the same on every run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import types

from common import Line, best_of, figure_notes, print_table, throwaway_home


def _bench_urlconf() -> str:
    """The app's URLs plus the bare peer, as a module Django can import by name."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import path

    from partnerdesk import urls

    template = engines["django"].from_string("<!doctype html><title>empty</title>{{ user.get_username }}")

    @login_required
    def empty(request):  # noqa: ANN001, ANN202
        return HttpResponse(template.render({"user": request.user}, request))

    module = types.ModuleType("web_bench_urls")
    module.urlpatterns = [path("bench/empty/", empty), *urls.urlpatterns]  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    return module.__name__


ENGAGEMENTS_A_DAY = 2.5


def _created(now, number: int):  # noqa: ANN001, ANN202 - datetimes, imported late
    """Engagements arrive at a steady rate, the newest numbered lowest: the first 1,000 span the
    last 400 days, and the next 9,000 the years before. So 10,000 engagements are the same team's
    recent work with ten times the history behind it, which is what the dashboard's goal is about
    (a period's figures may cost what the period holds, not what the years before it hold)."""
    import datetime as dt

    return now - dt.timedelta(days=1 + number / ENGAGEMENTS_A_DAY)


def _populate(*, start: int, engagements: int, entries: int) -> None:
    """Engagements number `start` to `start + engagements`, as described above."""
    import datetime as dt
    from decimal import Decimal

    from partnerdesk.agreements.models import Agreement
    from partnerdesk.lib import clock
    from partnerdesk.pipeline.models import (
        Contact,
        Engagement,
        EngagementContact,
        Organization,
        TimelineEntry,
    )
    from partnerdesk.pipeline.stages import Stage

    now = clock.now()
    stages = [Stage.LEAD, Stage.QUALIFIED_LEAD, Stage.PROSPECT, Stage.PARTNER, Stage.CLOSED]
    numbers = range(start, start + engagements)
    batch = 2000
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"University {n}") for n in numbers], batch_size=batch
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(organization=org, name=f"Lee Park {n}", email=f"lee{n}@u{n}.example.edu")
            for n, org in zip(numbers, organizations, strict=True)
        ],
        batch_size=batch,
    )
    rows = Engagement.objects.bulk_create(
        [
            Engagement(
                organization=org,
                stage=stages[n % len(stages)].value,
                stage_changed_at=min(now, _created(now, n) + dt.timedelta(days=2 + n % 200)),
                created_at=_created(now, n),
            )
            for n, org in zip(numbers, organizations, strict=True)
        ],
        batch_size=batch,
    )
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=e, contact=c) for e, c in zip(rows, contacts, strict=True)],
        batch_size=batch,
    )
    Agreement.objects.bulk_create(
        [
            Agreement(
                engagement=e,
                title=f"University {n} + 2i2c - Services Agreement",
                folder_path=f"University {n}",
                status=Agreement.Status.EXECUTED if e.stage == Stage.PARTNER else Agreement.Status.DRAFT,
                value=Decimal(1000 + n % 50 * 500),
                currency="USD" if n % 4 else "EUR",
                term_start=e.created_at.date() + dt.timedelta(days=30),
                term_end=e.created_at.date() + dt.timedelta(days=30 + 365),
                created_at=now,
                updated_at=now,
            )
            for n, e in zip(numbers, rows, strict=True)
            if n % 3 == 0
        ],
        batch_size=batch,
    )
    # A few stage changes per engagement, as in life; the rest notes and tasks.
    kinds = [TimelineEntry.Kind.STAGE_CHANGED] * 3 + [TimelineEntry.Kind.NOTE, TimelineEntry.Kind.TASK] * 20
    path = [stage.value for stage in stages[:4]]
    for first in range(0, len(rows), 200):
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    engagement=e,
                    kind=kinds[min(k, len(kinds) - 1)],
                    at=e.created_at + dt.timedelta(days=k),
                    actor="bench",
                    summary=f"Entry {k} of the story of {e.pk}",
                    data=(
                        {
                            "from": path[k],
                            "to": path[k + 1],
                            "stage_since": (e.created_at + dt.timedelta(days=max(k - 1, 0))).isoformat(),
                        }
                        if k < 3
                        else {}
                    ),
                )
                for e in rows[first : first + 200]
                for k in range(entries)
            ],
            batch_size=batch,
        )


Figures = dict[str, tuple[float, int, int]]  # page -> (seconds, queries, bytes)

PAGES = {
    "board": "/",
    "column": "/board/lead/?offset=25",
    "list": "/engagements/?sort=-value",
    "engagement": "",  # the first engagement's page, set once it exists
    "dashboard": "/dashboard/",
    "dashboard_all": "/dashboard/?period=all",
    "bare": "/bench/empty/",
}


def measure(*, sizes: list[int], entries: int, repeat: int) -> list[Line]:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from partnerdesk.pipeline.models import Engagement, TimelineEntry

    call_command("migrate", verbosity=0)
    settings.ROOT_URLCONF = _bench_urlconf()
    user = get_user_model().objects.create_user(username="bench", is_staff=True)
    client = Client()
    client.force_login(user)

    def page(url: str) -> tuple[float, int, int]:
        size = 0

        def get() -> None:
            nonlocal size
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            size = len(response.content)

        get()  # warm the template and URL caches
        with CaptureQueriesContext(connection) as queries:
            get()
        count = len(queries)
        return best_of(repeat, get), count, size

    results: dict[int, Figures] = {}
    made = 0
    for size in sorted(sizes):
        _populate(start=made, engagements=size - made, entries=entries)
        made = size
        first = Engagement.objects.order_by("id").first()
        assert first is not None
        urls = {**PAGES, "engagement": f"/engagements/{first.reference}/"}
        results[size] = {name: page(url) for name, url in urls.items()}
        timeline = TimelineEntry.objects.filter(engagement=first).count()

    database = (
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
    )
    print(
        f"python {platform.python_version()} | {database.strip()} | {Engagement.objects.count():,} "
        f"engagements, {TimelineEntry.objects.count():,} timeline entries ({timeline} on the page's)"
    )

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.1f}"

    def kb(size: int) -> str:
        return f"{size / 1000:,.1f}"

    labels = {
        "board": "pipeline board /",
        "column": "  one column's next page",
        "list": "engagement list (100 rows)",
        "engagement": "engagement page",
        "dashboard": "dashboard (this quarter, its default)",
        "dashboard_all": "dashboard, all time (reads every year)",
    }
    table: list[Line] = [("measure", "value", "unit", f"ratio / notes (times: best of {repeat})")]
    for size, figures in results.items():
        bare = figures["bare"][0]
        for name, label in labels.items():
            seconds, queries, length = figures[name]
            notes = f"{seconds / bare:.1f}x bare peer; {queries} queries; {kb(length)} KB"
            if name in ("board", "list") and size == 1000:
                notes += f"; goal < 400 KB: {'meets' if length < 400_000 else 'misses'}"
            table.append((f"{label} at {size:,}", ms(seconds), "ms", notes))
        table.append(
            (f"  bare peer: empty template at {size:,}", ms(bare), "ms", "same client and middleware")
        )
    if len(results) > 1:
        small, large = min(results), max(results)
        (t_small, q_small, _), (t_large, q_large, _) = (
            results[small]["dashboard"],
            results[large]["dashboard"],
        )
        ratio = t_large / t_small
        flat = "meets" if q_large == q_small and t_large < 0.15 else "misses"
        table.append(
            (
                f"dashboard at {large:,} vs {small:,}",
                ms(t_large),
                "ms",
                figure_notes(ratio, f"the {small:,} dashboard", goal="<= 1.5x", meets=ratio <= 1.5),
            )
        )
        table.append(
            (
                f"  its queries at {large:,} / {small:,}",
                f"{q_large} / {q_small}",
                "queries",
                f"goal: the same, under 150 ms: {flat}",
            )
        )
        t_all_small, t_all_large = results[small]["dashboard_all"][0], results[large]["dashboard_all"][0]
        table.append(
            (
                f"dashboard, all time, at {large:,} vs {small:,}",
                ms(t_all_large),
                "ms",
                figure_notes(t_all_large / t_all_small, f"the {small:,} one (no goal: it reads every year)"),
            )
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1_000, 10_000],
        help="engagements to measure at, in order, comma-separated (1000,10000)",
    )
    parser.add_argument("--entries", type=int, default=50, help="timeline entries per engagement (50)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per figure; the best is kept (15)")
    args = parser.parse_args()
    if min(args.sizes) < 1 or args.entries < 0 or args.repeat < 1:
        parser.error("--sizes and --repeat must be at least 1, --entries at least 0")
    with throwaway_home("partnerdesk-web-bench-"):
        os.environ["PARTNERDESK_ALLOWED_HOSTS"] = "testserver"
        table = measure(sizes=args.sizes, entries=args.entries, repeat=args.repeat)
    print_table(table)


if __name__ == "__main__":
    main()
