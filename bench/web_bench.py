"""Board and engagement page server time and query counts, printed as one plain-text table.

What it measures, on a throw-away database in a temporary PARTNERDESK_HOME, with N engagements
(default 10,000), each with a contact and T timeline entries (default 50), all bulk-created:

1. The pipeline board (`/`), signed in, through django.test.Client: server time and queries.
2. One column's next page (`/board/lead/?offset=25`), as the "More" link loads it.
3. The engagement page (`/engagements/PD-1/`) of an engagement with T timeline entries.
4. The bare peer: a signed-in page that renders an empty template through the same client and
   middleware (session, auth, CSRF, CSP), so the ratio is what the page itself costs.

Every time is the best of `--repeat` runs; the query count is the same on every run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import types

from common import Line, best_of, print_table, throwaway_home


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


def _populate(*, engagements: int, entries: int) -> None:
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
    batch = 2000
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"University {n}") for n in range(engagements)], batch_size=batch
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(organization=org, name=f"Lee Park {n}", email=f"lee{n}@u{n}.example.edu")
            for n, org in enumerate(organizations)
        ],
        batch_size=batch,
    )
    rows = Engagement.objects.bulk_create(
        [
            Engagement(
                organization=org,
                stage=stages[n % len(stages)].value,
                stage_changed_at=now,
                created_at=now,
            )
            for n, org in enumerate(organizations)
        ],
        batch_size=batch,
    )
    EngagementContact.objects.bulk_create(
        [EngagementContact(engagement=e, contact=c) for e, c in zip(rows, contacts, strict=True)],
        batch_size=batch,
    )
    # A few stage changes per engagement, as in life; the rest notes and tasks.
    kinds = [TimelineEntry.Kind.STAGE_CHANGED] * 3 + [TimelineEntry.Kind.NOTE, TimelineEntry.Kind.TASK] * 20
    for start in range(0, len(rows), 200):
        TimelineEntry.objects.bulk_create(
            [
                TimelineEntry(
                    engagement=e,
                    kind=kinds[min(k, len(kinds) - 1)],
                    at=now,
                    actor="bench",
                    summary=f"Entry {k} of the story of {e.pk}",
                    data={"from": "lead", "to": "lead"} if k < 3 else {},
                )
                for e in rows[start : start + 200]
                for k in range(entries)
            ],
            batch_size=batch,
        )


def measure(*, engagements: int, entries: int, repeat: int) -> list[Line]:
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
    _populate(engagements=engagements, entries=entries)
    first = Engagement.objects.order_by("id").first()
    assert first is not None
    user = get_user_model().objects.create_user(username="bench", is_staff=True)
    client = Client()
    client.force_login(user)

    def page(url: str) -> tuple[float, int]:
        def get() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            _ = response.content

        get()  # warm the template and URL caches
        with CaptureQueriesContext(connection) as queries:
            get()
        count = len(queries)
        return best_of(repeat, get), count

    t_board, q_board = page("/")
    t_column, q_column = page("/board/lead/?offset=25")
    t_engagement, q_engagement = page(f"/engagements/{first.reference}/")
    t_dashboard, q_dashboard = page("/dashboard/")
    t_bare, q_bare = page("/bench/empty/")
    timeline = TimelineEntry.objects.filter(engagement=first).count()

    database = (
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
    )
    print(
        f"python {platform.python_version()} | {database.strip()} | {Engagement.objects.count():,} "
        f"engagements, {TimelineEntry.objects.count():,} timeline entries"
    )

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.1f}"

    return [
        ("measure", "value", "unit", f"ratio / notes (times: best of {repeat})"),
        ("pipeline board /", ms(t_board), "ms", f"{t_board / t_bare:.1f}x bare peer; {q_board} queries"),
        ("  one column's next page", ms(t_column), "ms",
         f"{t_column / t_bare:.1f}x bare peer; {q_column} queries"),
        ("engagement page", ms(t_engagement), "ms",
         f"{t_engagement / t_bare:.1f}x bare peer; {q_engagement} queries; {timeline} timeline entries"),
        ("dashboard", ms(t_dashboard), "ms", f"{t_dashboard / t_bare:.1f}x bare peer; {q_dashboard} queries"),
        ("  bare peer: empty template", ms(t_bare), "ms", f"same client and middleware; {q_bare} queries"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagements", type=int, default=10_000, help="engagements (10,000)")
    parser.add_argument("--entries", type=int, default=50, help="timeline entries per engagement (50)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure; the best is kept (5)")
    args = parser.parse_args()
    if args.engagements < 1 or args.entries < 0 or args.repeat < 1:
        parser.error("--engagements and --repeat must be at least 1, --entries at least 0")
    with throwaway_home("partnerdesk-web-bench-"):
        os.environ["PARTNERDESK_ALLOWED_HOSTS"] = "testserver"
        table = measure(engagements=args.engagements, entries=args.entries, repeat=args.repeat)
    print_table(table)


if __name__ == "__main__":
    main()
