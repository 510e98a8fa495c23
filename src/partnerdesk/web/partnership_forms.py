"""The partner phase's web forms: each parses one request; the views pass the result to a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from partnerdesk.agreements.partnership_rules import SCHEDULES
from partnerdesk.partnership.checkins import RATINGS
from partnerdesk.partnership.models import Invoice, Renewal

DATE = forms.DateInput(attrs={"type": "date"})


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Invoice.Status.choices]
    )


class PaidForm(forms.Form):
    paid_on = forms.DateField(label="Paid on", required=False, widget=DATE, help_text="Today if empty.")


class VoidForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=1000, error_messages={"required": "it is empty"})


class ItemNoteForm(forms.Form):
    """Skip or mark done a missed item, with an optional why."""

    note = forms.CharField(label="Why (optional)", required=False, max_length=1000)


class CheckInRecordForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Rating",
        coerce=int,
        choices=[(rating, f"{rating} - {label}") for rating, label in RATINGS.items()],
    )
    comment = forms.CharField(
        label="Comment", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RenewalForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Renewal.Outcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the partnership ended.",
    )
    value = forms.DecimalField(label="Value", required=False, min_value=0, decimal_places=2, max_digits=14)
    currency = forms.CharField(label="Currency", required=False, min_length=3, max_length=3)
    term_start = forms.DateField(label="Term start", required=False, widget=DATE)
    term_end = forms.DateField(label="Term end", required=False, widget=DATE)
    invoice_schedule = forms.ChoiceField(
        label="Invoice schedule",
        required=False,
        choices=[("", "As now"), *((schedule, schedule.capitalize()) for schedule in SCHEDULES)],
    )
    payment_terms_days = forms.IntegerField(
        label="Payment terms (days)", required=False, min_value=0, max_value=365
    )
    billing_contact = forms.EmailField(label="Billing contact", required=False, max_length=254)
    po_number = forms.CharField(label="PO number", required=False, max_length=100)

    TERMS = (
        "value",
        "currency",
        "term_start",
        "term_end",
        "invoice_schedule",
        "payment_terms_days",
        "billing_contact",
        "po_number",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        outcome = cleaned.get("outcome")
        if outcome == Renewal.Outcome.ENDED and not (cleaned.get("reason") or "").strip():
            raise ValidationError("say why the partnership ended, in Reason")
        if outcome == Renewal.Outcome.CHANGED and not self.new_terms():
            raise ValidationError("give at least one new term for a renewal with changes")
        if outcome == Renewal.Outcome.ENDED and self.new_terms():
            raise ValidationError("an ended partnership has no next term: clear the new terms")
        return cleaned

    def new_terms(self) -> dict[str, Any]:
        """The new terms given (empty fields keep the current term's)."""
        return {
            name: self.cleaned_data[name]
            for name in self.TERMS
            if self.cleaned_data.get(name) not in (None, "")
        }


class TechnicalAnswersForm(forms.Form):
    """Every question of the questionnaire: an answer and a "not applicable" box each."""

    source = forms.ChoiceField(
        label="Where the answers come from",
        choices=[("meeting", "A meeting or a call"), ("email", "An email")],
    )

    def __init__(self, *args: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q-{question.key}"] = forms.CharField(
                label=question.question,
                required=False,
                max_length=10_000,
                help_text=question.help,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"na-{question.key}"] = forms.BooleanField(label="Not applicable", required=False)

    def rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [(q, self[f"q-{q.key}"], self[f"na-{q.key}"]) for q in self.questions]
