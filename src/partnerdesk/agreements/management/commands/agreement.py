"""`partnerdesk agreement show|attach|set|signatory|addendum|point|ready|executed|withdraw`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from partnerdesk.agreements import points, services, status
from partnerdesk.agreements.closing import agreement_executed
from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import get_rules
from partnerdesk.agreements.selectors import agreement_as_dict, agreement_for
from partnerdesk.lib.commands import PartnerdeskCommand, date_argument
from partnerdesk.pipeline import selectors
from partnerdesk.pipeline.models import Engagement


def billing_terms(agreement: Agreement) -> dict[str, Any]:
    """The agreement's billing terms as they apply: its own, else the profile's."""
    rules = get_rules()
    if agreement.payment_due_on is not None:
        terms = f"due by {agreement.payment_due_on.isoformat()}"
    else:
        days = (
            agreement.payment_terms_days
            if agreement.payment_terms_days is not None
            else rules.payment_terms_days
        )
        terms = f"net {days}" + ("" if agreement.payment_terms_days is not None else " (the profile's)")
    return {
        "payment_terms": terms,
        "payment_terms_days": agreement.payment_terms_days,
        "payment_due_on": agreement.payment_due_on.isoformat() if agreement.payment_due_on else None,
        "invoice_schedule": agreement.invoice_schedule or f"{rules.invoice_schedule} (the profile's)",
        "invoice_amounts": list(agreement.invoice_amounts or []),
        "billing_contact": agreement.billing_contact,
        "po_number": agreement.po_number,
    }


class Command(PartnerdeskCommand):
    help = "The services agreement of an engagement: versions, terms, signatories, addenda, signature."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        show = actions.add_parser("show", help="the agreement, its versions and what it still lacks")
        show.add_argument("reference")
        show.add_argument("--json", action="store_true")
        attach = actions.add_parser("attach", help="a new version (.docx), with what changed in the text")
        attach.add_argument("reference")
        attach.add_argument("file", type=Path)
        terms = actions.add_parser("set", help="the value, currency, term and billing terms")
        terms.add_argument("reference")
        terms.add_argument("--value")
        terms.add_argument("--currency")
        terms.add_argument("--term-start", type=date_argument)
        terms.add_argument("--term-end", type=date_argument)
        billing = terms.add_argument_group(
            "billing terms (also after signature; left unset: the profile's [partnership] defaults)"
        )
        billing.add_argument("--payment-terms-days", type=int, metavar="DAYS", help="e.g. 45 for net 45")
        billing.add_argument("--payment-due-on", type=date_argument, metavar="DATE", help="a fixed due date")
        billing.add_argument("--invoice-schedule", choices=Agreement.InvoiceSchedule.values)
        billing.add_argument(
            "--invoice-amounts",
            nargs="*",
            metavar="AMOUNT",
            help="the amount of each invoice, in order (none: the value split evenly)",
        )
        billing.add_argument("--billing-contact", metavar="EMAIL", help='"" for the first contact')
        billing.add_argument("--po-number", help="the partner's purchase order number")
        signatory = actions.add_parser("signatory", help="add or remove a signatory")
        signatory_actions = signatory.add_subparsers(dest="signatory_action", required=True)
        add = signatory_actions.add_parser("add")
        add.add_argument("reference")
        add.add_argument("person", metavar='"NAME <EMAIL>"')
        add.add_argument("--organization", default="", help="default: the partner's name")
        add.add_argument("--role", default="")
        remove = signatory_actions.add_parser("remove")
        remove.add_argument("reference")
        remove.add_argument("email")
        addendum = actions.add_parser("addendum", help="add or remove an addendum")
        addendum_actions = addendum.add_subparsers(dest="addendum_action", required=True)
        add = addendum_actions.add_parser("add")
        add.add_argument("reference")
        add.add_argument("--kind", required=True, help="statement-of-work, deliverable or other")
        add.add_argument("--title", required=True)
        add.add_argument("--description", default="")
        add.add_argument("--due", type=date_argument, help="YYYY-MM-DD (required for a deliverable)")
        remove = addendum_actions.add_parser("remove")
        remove.add_argument("reference")
        remove.add_argument("id", type=int)
        point = actions.add_parser("point", help="open points of the negotiation (each a task)")
        point_actions = point.add_subparsers(dest="point_action", required=True)
        add = point_actions.add_parser("add", help="a point still to settle")
        add.add_argument("reference")
        add.add_argument("text")
        for name, what in (("done", "settled"), ("reopen", "open again")):
            settle = point_actions.add_parser(name, help=f"mark an open point {what}")
            settle.add_argument("reference")
            settle.add_argument("id", type=int)
        ready = actions.add_parser("ready", help="mark it ready to sign, or name what is missing")
        ready.add_argument("reference")
        executed = actions.add_parser("executed", help="the fully signed agreement came back")
        executed.add_argument("reference")
        executed.add_argument("--signed", type=Path, metavar="FILE", help="the signed copy (.pdf or .docx)")
        executed.add_argument(
            "--on", type=date_argument, help="the date of the last signature (default today)"
        )
        withdraw = actions.add_parser("withdraw", help="abandon the agreement in the works")
        withdraw.add_argument("reference")
        withdraw.add_argument("--reason", required=True)

    def handle(self, *args: Any, action: str, reference: str, **options: Any) -> None:
        engagement = selectors.engagement_get(reference)
        handler = getattr(self, f"handle_{action}")
        handler(engagement, **options)

    def _agreement(self, engagement: Engagement) -> Agreement:
        agreement = agreement_for(engagement)
        if agreement is None:
            raise CommandError(
                f"{engagement.reference} has no agreement yet: run `partnerdesk playbook run "
                f"send-draft-contract {engagement.reference}` or `partnerdesk agreement attach`"
            )
        return agreement

    def handle_show(self, engagement: Engagement, *, json: bool, **_: Any) -> None:
        agreement = self._agreement(engagement)
        data = {**agreement_as_dict(agreement), "billing": billing_terms(agreement)}
        if json:
            self.write_json(data)
            return
        self.stdout.write(f"{data['title']} [{data['engagement']}]")
        self.stdout.write(f"  status: {data['status'].replace('_', ' ')}")
        value = f"{data['value']} {data['currency'] or ''}".strip() if data["value"] else "-"
        self.stdout.write(f"  value: {value}")
        self.stdout.write(f"  term: {data['term_start'] or '-'} to {data['term_end'] or '-'}")
        billing = data["billing"]
        self.stdout.write(
            f"  payment terms: {billing['payment_terms']}; invoiced {billing['invoice_schedule']}"
            + (f" ({', '.join(billing['invoice_amounts'])})" if billing["invoice_amounts"] else "")
        )
        self.stdout.write(
            f"  billed to: {billing['billing_contact'] or 'the first contact'}"
            + (f"; purchase order {billing['po_number']}" if billing["po_number"] else "")
        )
        self.stdout.write(f"  folder: {data['folder']}")
        self.stdout.write("  signatories:")
        for s in data["signatories"] or [{"name": "(none)", "email": "", "role": "", "organization": ""}]:
            extra = ", ".join(part for part in (s["role"], s["organization"]) if part)
            email = f" <{s['email']}>" if s["email"] else ""
            self.stdout.write(f"    {s['name']}{email}" + (f" ({extra})" if extra else ""))
        self.stdout.write("  addenda:")
        for a in data["addenda"] or [{"id": "-", "kind": "", "title": "(none)", "due_on": None}]:
            due = f", due {a['due_on']}" if a["due_on"] else ""
            kind = f"[{a['kind']}] " if a["kind"] else ""
            self.stdout.write(f"    {a['id']}. {kind}{a['title']}{due}")
        self.stdout.write("  open points:")
        for p in data["open_points"] or [{"id": "-", "text": "(none)", "done": None}]:
            mark = {True: "[x] ", False: "[ ] ", None: ""}[p["done"]]
            self.stdout.write(f"    {p['id']}. {mark}{p['text']}")
        self.stdout.write("  versions:")
        for v in data["versions"]:
            signed = " (signed)" if v["signed"] else ""
            self.stdout.write(
                f"    v{v['number']}{signed}: {v['filename']} by {v['actor']} on {v['created_at'][:10]}"
            )
            for line in v["changes"].splitlines():
                self.stdout.write(f"      {line}")
        if data["missing_for_signature"]:
            self.stdout.write("  missing for signature: " + "; ".join(data["missing_for_signature"]))

    def handle_attach(self, engagement: Engagement, *, file: Path, **_: Any) -> None:
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        agreement = agreement_for(engagement)
        if agreement is None or not agreement.is_open:
            agreement = services.agreement_create(engagement=engagement, actor=self.cli_actor())
        version = services.agreement_attach(
            agreement=agreement, content=content, filename=file.name, actor=self.cli_actor()
        )
        self.stdout.write(f"{agreement.title}: version {version.number} ({version.filename})")
        for line in (version.changes or "the first version").splitlines():
            self.stdout.write(f"  {line}")

    def handle_set(
        self,
        engagement: Engagement,
        *,
        value: str | None,
        currency: str | None,
        term_start: dt.date | None,
        term_end: dt.date | None,
        invoice_amounts: list[str] | None,
        **options: Any,
    ) -> None:
        changes = services.agreement_set_terms(
            agreement=self._agreement(engagement),
            actor=self.cli_actor(),
            value=services.parse_value(value) if value is not None else None,
            currency=currency,
            term_start=term_start,
            term_end=term_end,
            payment_terms_days=options["payment_terms_days"],
            payment_due_on=options["payment_due_on"],
            invoice_schedule=options["invoice_schedule"],
            invoice_amounts=(
                [services.parse_value(amount) for amount in invoice_amounts]
                if invoice_amounts is not None
                else None
            ),
            billing_contact=options["billing_contact"],
            po_number=options["po_number"],
        )
        self.stdout.write("; ".join(changes) if changes else "nothing changed")

    def handle_signatory(self, engagement: Engagement, *, signatory_action: str, **options: Any) -> None:
        agreement = self._agreement(engagement)
        if signatory_action == "add":
            signatory = services.agreement_signatory_add(
                agreement=agreement,
                person=options["person"],
                organization=options["organization"],
                role=options["role"],
                actor=self.cli_actor(),
            )
            self.stdout.write(f"signatory {signatory.position}: {signatory} ({signatory.organization})")
        else:
            services.agreement_signatory_remove(
                agreement=agreement, email=options["email"], actor=self.cli_actor()
            )
            self.stdout.write(f"removed {options['email']}")

    def handle_addendum(self, engagement: Engagement, *, addendum_action: str, **options: Any) -> None:
        agreement = self._agreement(engagement)
        if addendum_action == "add":
            addendum = services.agreement_addendum_add(
                agreement=agreement,
                kind=options["kind"],
                title=options["title"],
                description=options["description"],
                due_on=options["due"],
                actor=self.cli_actor(),
            )
            self.stdout.write(f"addendum {addendum.pk}: {addendum.title}")
        else:
            services.agreement_addendum_remove(
                agreement=agreement, addendum_id=options["id"], actor=self.cli_actor()
            )
            self.stdout.write(f"removed addendum {options['id']}")

    def handle_point(self, engagement: Engagement, *, point_action: str, **options: Any) -> None:
        agreement = self._agreement(engagement)
        if point_action == "add":
            point = points.agreement_point_add(
                agreement=agreement, text=options["text"], actor=self.cli_actor()
            )
            self.stdout.write(f"open point {point.pk}: {points.point_text(point)} (task {point.task_id})")
            return
        point = points.agreement_point_set_done(
            agreement=agreement, point_id=options["id"], done=point_action == "done", actor=self.cli_actor()
        )
        state = "settled" if point_action == "done" else "open again"
        self.stdout.write(f"open point {point.pk} {state}: {points.point_text(point)}")

    def handle_ready(self, engagement: Engagement, **_: Any) -> None:
        agreement = status.agreement_mark_ready(agreement=self._agreement(engagement), actor=self.cli_actor())
        self.stdout.write(f"{agreement.title}: ready to sign")

    def handle_executed(
        self, engagement: Engagement, *, signed: Path | None, on: dt.date | None, **_: Any
    ) -> None:
        content = None
        if signed is not None:
            try:
                content = signed.read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {signed}: {exc.strerror}") from None
        report = agreement_executed(
            engagement=engagement,
            signed_file=content,
            filename=signed.name if signed else "",
            actor=self.cli_actor(),
            on=on,
        )
        if not report.already:
            self.stdout.write(f"{report.agreement.title}: executed on {report.agreement.executed_on}")
        if report.moved_to_partner:
            self.stdout.write(f"{engagement.reference} moved to Partner")
        for note in report.notes:
            self.stdout.write(note)

    def handle_withdraw(self, engagement: Engagement, *, reason: str, **_: Any) -> None:
        agreement = status.agreement_withdraw(
            agreement=self._agreement(engagement), reason=reason, actor=self.cli_actor()
        )
        self.stdout.write(f"{agreement.title}: withdrawn")
