"""The web forms: each parses and validates one request; the views pass the result to a service."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from partnerdesk.lib.addresses import parse_contact
from partnerdesk.pipeline.qualification import (
    GOOD_CANDIDATE_QUESTION,
    QUALIFIED_QUESTION,
    Answer,
    Criterion,
)
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web import throttle
from partnerdesk.web.queries import AGE_CHOICES, BoardFilters

ANSWERS = [(answer.value, answer.value.capitalize()) for answer in Answer]
STAGES = [(stage.value, stage.label) for stage in Stage]


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing to check any password after repeated failures.

    After `is_valid()`, `throttled` is the block that refused the attempt, if one did: the view
    answers with the "try again in N minutes" page instead of the form.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": "Too many failed sign-in attempts. Try again in %(minutes)s minutes.",
    }
    throttled: throttle.Block | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request) if self.request else "unknown"
        self.throttled = throttle.sign_in_blocked(username=username, address=address)
        if self.throttled is not None:
            raise ValidationError(
                self.error_messages["throttled"], code="throttled", params={"minutes": self.throttled.minutes}
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.sign_in_failed(username=username, address=address)
            raise
        throttle.sign_in_succeeded(username=username, address=address)
        return cleaned


class BoardFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    owner = forms.ChoiceField(label="Owner", required=False)
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage"), *STAGES])
    age = forms.TypedChoiceField(
        label="In stage for",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any time"), *((str(days), f"{days}+ days") for days in AGE_CHOICES)],
    )

    def __init__(self, *args: Any, owners: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", "Anyone"),
            ("-", "No owner"),
            *((u, u) for u in owners),
        ]

    def filters(self) -> BoardFilters:
        """The valid filters; an invalid value is ignored rather than hiding the board."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return BoardFilters(
            q=data.get("q") or "",
            owner=data.get("owner") or "",
            stage=Stage(data["stage"]) if data.get("stage") else None,
            min_days=data.get("age") or None,
        )


def _contact_lines(text: str) -> list[tuple[str, str]]:
    contacts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            contacts.append(parse_contact(line))
        except ValueError as exc:
            raise ValidationError(f"line {number}: {exc}") from None
    return contacts


class LeadForm(forms.Form):
    organization = forms.CharField(label="Organization", max_length=200)
    contacts = forms.CharField(
        label="Contacts",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        # Django shows help text as HTML: the address's angle brackets must be escaped to be seen.
        help_text=format_html('One per line, as "{}".', "Name <email@example.org>"),
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_contacts(self) -> list[tuple[str, str]]:
        return _contact_lines(self.cleaned_data["contacts"])


class ContactForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, required=False)
    email = forms.EmailField(label="Email", max_length=254)


class ContactEditForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, required=False)


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Organization name", max_length=200)
    website = forms.URLField(label="Website", max_length=200, required=False, assume_scheme="https")


class MoveForm(forms.Form):
    to = forms.ChoiceField(label="Move to", choices=STAGES)
    reason = forms.CharField(label="Reason (closing or reopening)", required=False, max_length=2000)

    def __init__(self, *args: Any, moves: tuple[Stage, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if moves is not None:
            cast(forms.ChoiceField, self.fields["to"]).choices = [
                (stage.value, stage.label) for stage in moves
            ]


class ScorecardForm(forms.Form):
    """The handbook's two questions, then MANIAC-T: one answer and notes per criterion."""

    good_candidate = forms.ChoiceField(label=GOOD_CANDIDATE_QUESTION, choices=ANSWERS)
    qualified = forms.ChoiceField(label=QUALIFIED_QUESTION, choices=ANSWERS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in Criterion:
            self.fields[f"{criterion.value}"] = forms.ChoiceField(
                label=criterion.label, choices=ANSWERS, help_text=criterion.question
            )
            self.fields[f"{criterion.value}-notes"] = forms.CharField(
                label=f"{criterion.label} notes",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def criterion_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[criterion.value], self[f"{criterion.value}-notes"]) for criterion in Criterion]

    def answers(self) -> dict[Criterion, Answer]:
        return {c: Answer(self.cleaned_data[c.value]) for c in Criterion}

    def notes(self) -> dict[Criterion, str]:
        return {c: self.cleaned_data[f"{c.value}-notes"] for c in Criterion}


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=20000)


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=300)
    assignee = forms.CharField(label="For", max_length=200, required=False)
    due_on = forms.DateField(label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class VerbalYesForm(forms.Form):
    by = forms.CharField(label="Verbal yes from", max_length=200)
    on = forms.DateField(label="On", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ExecutedCloseForm(forms.Form):
    agreement = forms.CharField(label="Signed agreement", max_length=200)
    on = forms.DateField(label="Signed on", required=False, widget=forms.DateInput(attrs={"type": "date"}))


# The agreement on the engagement page (partnerdesk/agreements/ does the work).


class AgreementUploadForm(forms.Form):
    file = forms.FileField(
        label="New version (.docx)",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
        ),
    )


class AgreementTermsForm(forms.Form):
    value = forms.DecimalField(label="Value", required=False, min_value=0, decimal_places=2, max_digits=14)
    currency = forms.CharField(label="Currency", required=False, min_length=3, max_length=3)
    term_start = forms.DateField(
        label="Term start", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end = forms.DateField(
        label="Term end", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SignatoryForm(forms.Form):
    name = forms.CharField(label="Signatory name", max_length=200)
    email = forms.EmailField(label="Signatory email", max_length=254)
    organization = forms.CharField(
        label="Organization", max_length=200, required=False, help_text="The partner's name if empty."
    )
    role = forms.CharField(label="Role", max_length=200, required=False)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if any(char in name for char in '<>"'):
            raise ValidationError("a name cannot contain <, > or quotes")
        return name

    def person(self) -> str:
        return f'"{self.cleaned_data["name"]}" <{self.cleaned_data["email"]}>'


class AddendumForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=[
            ("statement-of-work", "Statement of work"),
            ("deliverable", "Deliverable (needs a date)"),
            ("other", "Other"),
        ],
    )
    title = forms.CharField(label="Title", max_length=300)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=20000
    )
    due_on = forms.DateField(label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class AgreementExecutedForm(forms.Form):
    signed = forms.FileField(
        label="Signed agreement (.pdf or .docx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )
    on = forms.DateField(label="Signed on", required=False, widget=forms.DateInput(attrs={"type": "date"}))
