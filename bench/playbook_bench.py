"""Playbook run speed for hail-the-lead, printed as one plain-text table.

What it measures, on a throw-away database in a temporary PARTNERDESK_HOME, for N leads
(default 300):

1. The dry-run (`playbook_preview`): guards, templates, the exact email built, nothing written.
2. The real run (`playbook_run`): the run and step rows, the check, the email queued in the
   outbox with its timeline entries, each step in its own transaction.
3. The real run followed by delivery of its emails to a local aiosmtpd sink (one worker pass).
4. The bare peer: `message_queue` of the same email for the same engagement, with no playbook.

The ratio of (2) to (4) is the engine's cost over queueing the email by hand: the durable run
log and the checks that make a run resumable and previewable. Every time is the best of
`--repeat` runs.
"""

from __future__ import annotations

import argparse
import platform
from typing import Any

from common import Line, best_of, free_port, print_table, throwaway_home


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def measure(*, leads: int, repeat: int) -> list[Line]:
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from partnerdesk.mail.models import OutboxMessage
    from partnerdesk.mail.outbox import message_queue, outbox_deliver_due
    from partnerdesk.pipeline import services
    from partnerdesk.pipeline.models import Engagement
    from partnerdesk.playbooks.context import context_for
    from partnerdesk.playbooks.engine import playbook_preview, playbook_run
    from partnerdesk.playbooks.library import get_library
    from partnerdesk.playbooks.models import PlaybookRun
    from partnerdesk.playbooks.steps.email import rendered_email

    call_command("migrate", verbosity=0)
    actor = services.Actor("bench")
    spec = get_library().get("hail-the-lead")
    engagements = [
        services.engagement_create(
            organization_name=f"Harbor University {number}",
            contacts=[(f"Lee Park {number}", f"lee{number}@harbor{number}.example.edu")],
            actor=actor,
        )
        for number in range(leads)
    ]
    handler = CountingHandler()
    port = free_port()
    sink = Controller(handler, hostname="127.0.0.1", port=port)
    sink.start()
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"

    def forget_runs() -> None:
        PlaybookRun.objects.all().delete()
        OutboxMessage.objects.all().delete()
        handler.count = 0

    def preview_all() -> None:
        for engagement in engagements:
            playbook_preview(spec=spec, engagement=engagement, actor=actor)

    def run_all() -> None:
        for engagement in engagements:
            if not playbook_run(spec=spec, engagement=engagement, actor=actor).succeeded:
                raise RuntimeError(f"hail-the-lead failed for {engagement.reference}")

    def run_and_deliver() -> None:
        run_all()
        report = outbox_deliver_due()
        if report.sent != leads or handler.count != leads:
            raise RuntimeError(f"delivered {handler.count} of {leads}")

    emails = [
        rendered_email(spec.step("canned-response"), context_for(spec=spec, engagement=e, actor=actor))
        for e in engagements
    ]

    def queue_by_hand() -> None:
        for engagement, email in zip(engagements, emails, strict=True):
            message_queue(**email, engagement=engagement, actor=actor)

    try:
        t_preview = best_of(repeat, preview_all)
        t_run = best_of(repeat, run_all, prepare=forget_runs)
        t_deliver = best_of(repeat, run_and_deliver, prepare=forget_runs)
        t_bare = best_of(repeat, queue_by_hand, prepare=forget_runs)
    finally:
        sink.stop()
    assert Engagement.objects.count() == leads

    def rate(seconds: float) -> str:
        return f"{leads / seconds:,.0f}"

    database = (
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
    )
    print(f"python {platform.python_version()} | {database.strip()} | hail-the-lead for {leads:,} leads")
    return [
        ("measure", "value", "unit", f"ratio / notes (times: best of {repeat})"),
        ("hail-the-lead --dry-run", rate(t_preview), "runs/s",
         f"{t_preview / t_bare:.2f}x queueing by hand; writes nothing"),
        ("hail-the-lead, real run", rate(t_run), "runs/s",
         f"{t_run / t_bare:.2f}x queueing the same email by hand"),
        ("  real run + SMTP delivery", rate(t_deliver), "runs/s", "one worker pass to a local aiosmtpd sink"),
        ("  bare peer: message_queue", rate(t_bare), "msg/s", "the same email, no playbook"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=300, help="engagements to hail (300)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure; the best is kept (3)")
    args = parser.parse_args()
    if args.leads < 1 or args.repeat < 1:
        parser.error("--leads and --repeat must be at least 1")
    with throwaway_home("partnerdesk-playbook-bench-"):
        table = measure(leads=args.leads, repeat=args.repeat)
    print_table(table)


if __name__ == "__main__":
    main()
