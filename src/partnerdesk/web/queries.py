"""Reads for the web pages, each in a fixed number of queries whatever the number of rows.

The board loads one page of cards per column with one windowed query; the engagement page
loads each related table once. Both are asserted in tests/web with django_assert_num_queries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber

from partnerdesk.agreements.models import Addendum, Agreement, AgreementVersion, Signatory
from partnerdesk.agreements.readiness import AgreementFacts, missing_for_signature
from partnerdesk.agreements.selectors import required_addenda
from partnerdesk.documents.models import Document, Share
from partnerdesk.lib import clock
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.partnership.reports import valued_current_agreements, with_current_value
from partnerdesk.pipeline.models import (
    Assessment,
    Contact,
    Engagement,
    EngagementContact,
    Task,
    TimelineEntry,
)
from partnerdesk.pipeline.qualification import Answer, Criterion, Scorecard
from partnerdesk.pipeline.selectors import EngagementNotFound, engagement_id_from_reference
from partnerdesk.pipeline.stages import (
    ALL_STAGES,
    ALLOWED_MOVES,
    QUALIFYING_STAGES,
    EngagementFacts,
    MoveCheck,
    Stage,
    check_move,
)
from partnerdesk.playbooks.models import PlaybookRun
from partnerdesk.profile import get_profile
from partnerdesk.technical.services import TechnicalRecord, technical_record

PAGE_SIZE = 25
AGE_CHOICES = (7, 30, 90, 365)


@dataclass(frozen=True)
class BoardFilters:
    q: str = ""
    owner: str = ""  # a username, "-" for no owner, "" for anyone
    stage: Stage | None = None
    min_days: int | None = None  # at least this many days in the current stage

    def as_query(self) -> dict[str, str]:
        query = {"q": self.q, "owner": self.owner, "stage": self.stage.value if self.stage else ""}
        query["age"] = str(self.min_days) if self.min_days else ""
        return {key: value for key, value in query.items() if value}


def board_engagements(filters: BoardFilters) -> QuerySet[Engagement]:
    """The engagements the filters select (no rows fetched yet)."""
    queryset = Engagement.objects.all()
    if filters.q.strip():
        text = filters.q.strip()
        matches: Any = Q(organization__name__icontains=text) | Exists(
            EngagementContact.objects.filter(engagement=OuterRef("pk")).filter(
                Q(contact__email__icontains=text) | Q(contact__name__icontains=text)
            )
        )
        with contextlib.suppress(EngagementNotFound):
            matches |= Q(pk=engagement_id_from_reference(text))
        queryset = queryset.filter(matches)
    if filters.owner == "-":
        queryset = queryset.filter(owner__isnull=True)
    elif filters.owner:
        queryset = queryset.filter(owner__username=filters.owner)
    if filters.stage is not None:
        queryset = queryset.filter(stage=filters.stage.value)
    if filters.min_days:
        queryset = queryset.filter(stage_changed_at__lte=clock.now() - dt.timedelta(days=filters.min_days))
    return queryset


def _with_card_facts(queryset: QuerySet[Engagement]) -> QuerySet[Engagement]:
    known = (
        Assessment.objects.filter(engagement=OuterRef("pk"))
        .exclude(answer=Answer.UNKNOWN.value)
        .order_by()
        .values("engagement")
        .annotate(n=Count("id"))
        .values("n")
    )
    next_task = Task.objects.filter(engagement=OuterRef("pk"), done_at__isnull=True).order_by(
        F("due_on").asc(nulls_last=True), "id"
    )
    return with_current_value(queryset.select_related("organization", "owner")).annotate(
        known_criteria=Subquery(known),
        next_task_title=Subquery(next_task.values("title")[:1]),
        next_task_due=Subquery(next_task.values("due_on")[:1]),
    )


# The stages where the MANIAC-T scorecard is still being filled in: their cards say how much of
# it is unknown (a closed or signed engagement's unknowns are no longer news).


@dataclass
class Card:
    """What a compact card shows: organization, value, owner, days in stage, next due task."""

    engagement: Engagement
    days_in_stage: int
    unknown_criteria: int
    next_task_title: str | None
    next_task_due: dt.date | None
    moves: tuple[Stage, ...]
    value: Decimal | None = None
    currency: str = ""

    @property
    def reference(self) -> str:
        return self.engagement.reference

    @property
    def shows_unknowns(self) -> bool:
        return self.unknown_criteria > 0 and Stage(self.engagement.stage) in QUALIFYING_STAGES

    @property
    def value_text(self) -> str:
        return f"{self.currency} {self.value:,.0f}".strip() if self.value is not None else ""


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Card] = field(default_factory=list)
    offset: int = 0
    # The value of the column's engagements (their current agreements), per currency, in order.
    totals: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def totals_text(self) -> str:
        return " · ".join(f"{currency} {amount:,.0f}" for currency, amount in self.totals)

    @property
    def shown_to(self) -> int:
        return self.offset + len(self.cards)

    @property
    def next_offset(self) -> int | None:
        return self.shown_to if self.shown_to < self.count else None


def _cards(engagements: list[Engagement]) -> list[Card]:
    now = clock.now()
    total = len(Criterion)
    return [
        Card(
            engagement=e,
            days_in_stage=max((now - e.stage_changed_at).days, 0),
            unknown_criteria=total - (e.known_criteria or 0),  # type: ignore[attr-defined]
            next_task_title=e.next_task_title,  # type: ignore[attr-defined]
            next_task_due=e.next_task_due,  # type: ignore[attr-defined]
            moves=ALLOWED_MOVES[Stage(e.stage)],
            value=e.current_value,  # type: ignore[attr-defined]
            currency=e.current_currency,  # type: ignore[attr-defined]
        )
        for e in engagements
    ]


def _totals(selected: QuerySet[Engagement]) -> dict[str, list[tuple[str, Decimal]]]:
    """The value of the selected engagements per stage and currency: one query."""
    totals: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    sums = (
        valued_current_agreements(selected)
        .order_by("engagement__stage", "currency")
        .values_list("engagement__stage", "currency")
        .annotate(total=Sum("value"))
    )
    for stage, currency, total in sums:
        totals[stage].append((currency, total))
    return totals


_CARD_ORDER = (F("stage_changed_at").asc(), F("id").asc())


def board_columns(filters: BoardFilters) -> list[Column]:
    """Every column with its count, value and first page of cards: three queries in all."""
    selected = board_engagements(filters)
    counts = dict(selected.order_by().values_list("stage").annotate(n=Count("id")))
    totals = _totals(selected)
    stages = [filters.stage] if filters.stage else list(ALL_STAGES)
    # The first page of each column is chosen first; only its cards are looked into further.
    first_page_ids = (
        selected.annotate(position=Window(RowNumber(), partition_by=[F("stage")], order_by=list(_CARD_ORDER)))
        .filter(position__lte=PAGE_SIZE)
        .values("pk")
    )
    first_pages = list(
        _with_card_facts(Engagement.objects.filter(pk__in=first_page_ids)).order_by("stage", *_CARD_ORDER)
    )
    by_stage: dict[str, list[Card]] = defaultdict(list)
    for card in _cards(first_pages):
        by_stage[card.engagement.stage].append(card)
    return [
        Column(
            stage,
            counts.get(stage.value, 0),
            by_stage.get(stage.value, []),
            totals=totals.get(stage.value, []),
        )
        for stage in stages
    ]


def board_column(filters: BoardFilters, stage: Stage, *, offset: int) -> Column:
    """One page of one column, from `offset`: two queries (the column's value is on the board)."""
    selected = board_engagements(filters).filter(stage=stage.value)
    count = selected.count()
    page_ids = selected.order_by(*_CARD_ORDER).values("pk")[offset : offset + PAGE_SIZE]
    page = list(_with_card_facts(Engagement.objects.filter(pk__in=page_ids)).order_by(*_CARD_ORDER))
    return Column(stage, count, _cards(page), offset=offset)


def owner_choices() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("username")
        .values_list("username", flat=True)
    )


# The engagement page.


@dataclass
class MoveOption:
    stage: Stage
    check: MoveCheck


@dataclass
class TimelineItem:
    entry: TimelineEntry
    email: OutboxMessage | None = None
    # A playbook run's steps, as the run recorded them.
    steps: list[dict[str, Any]] = field(default_factory=list)


def _timeline_item(entry: TimelineEntry, emails: dict[int, OutboxMessage]) -> TimelineItem:
    data = entry.data if isinstance(entry.data, dict) else {}
    outbox_id = data.get("outbox")
    steps = []
    if entry.kind == TimelineEntry.Kind.PLAYBOOK_RUN and isinstance(data.get("steps"), list):
        steps = [step for step in data["steps"] if isinstance(step, dict)]
    return TimelineItem(entry, emails.get(outbox_id) if isinstance(outbox_id, int) else None, steps)


@dataclass
class AgreementPanel:
    """The engagement's agreement as the page shows it, with what it lacks before signing."""

    agreement: Agreement
    versions: list[AgreementVersion]
    signatories: list[Signatory]
    addenda: list[Addendum]
    missing: list[str]

    @property
    def editable(self) -> bool:
        return self.agreement.status in (
            Agreement.Status.DRAFT,
            Agreement.Status.NEGOTIATING,
            Agreement.Status.READY_TO_SIGN,
        )

    @property
    def can_execute(self) -> bool:
        return self.agreement.status in (Agreement.Status.READY_TO_SIGN, Agreement.Status.OUT_FOR_SIGNATURE)


def agreement_panel(engagement: Engagement) -> AgreementPanel | None:
    """The agreement in the works, else the latest one (as `agreements.selectors.agreement_for`).

    Four queries when there is one (the agreements, versions, signatories, addenda), one when
    there is none; what is missing is worked out from the rows loaded, not counted again.
    """
    agreements = list(Agreement.objects.filter(engagement=engagement).order_by("-id"))
    agreement = next((a for a in agreements if a.is_open), agreements[0] if agreements else None)
    if agreement is None:
        return None
    agreement.engagement = engagement
    versions = list(AgreementVersion.objects.filter(agreement=agreement).defer("text").order_by("number"))
    signatories = list(Signatory.objects.filter(agreement=agreement))
    addenda = list(Addendum.objects.filter(agreement=agreement))
    facts = AgreementFacts(
        signatories=len(signatories),
        value=agreement.value,
        currency=agreement.currency,
        term_start=agreement.term_start,
        term_end=agreement.term_end,
        addenda=[(addendum.kind, addendum.due_on) for addendum in addenda],
        versions=len(versions),
    )
    missing = missing_for_signature(facts, required_addenda=required_addenda()) if agreement.is_open else []
    return AgreementPanel(agreement, versions, signatories, addenda, missing)


@dataclass
class EngagementPage:
    engagement: Engagement
    contacts: list[Contact]
    good_candidate: str
    qualified: str
    criteria: list[dict[str, Any]]
    scorecard: Scorecard
    moves: list[MoveOption]
    tasks: list[Task]
    documents: list[Document]
    timeline: list[TimelineItem]
    emails: list[OutboxMessage]
    unfinished_runs: list[PlaybookRun]
    completed_playbooks: set[str]
    agreement: AgreementPanel | None = None
    technical: TechnicalRecord | None = None

    @property
    def days_in_stage(self) -> int:
        return max((clock.now() - self.engagement.stage_changed_at).days, 0)


def _emails_and_timeline(engagement: Engagement) -> tuple[list[OutboxMessage], list[TimelineItem]]:
    emails = list(OutboxMessage.objects.filter(engagement=engagement).defer("raw").order_by("id"))
    by_id = {message.pk: message for message in emails}
    timeline = [
        _timeline_item(entry, by_id)
        for entry in TimelineEntry.objects.filter(engagement=engagement).order_by("-at", "-id")
    ]
    return emails, timeline


def engagement_timeline(engagement: Engagement) -> list[TimelineItem]:
    """The timeline alone, newest first, for the note box's partial update: two queries."""
    return _emails_and_timeline(engagement)[1]


def engagement_page(engagement: Engagement) -> EngagementPage:
    """Everything the engagement page shows: a fixed number of queries, whatever the number of rows."""
    contacts = list(
        Contact.objects.filter(engagement_links__engagement=engagement).order_by("engagement_links__id")
    )
    assessments = {a.criterion: a for a in Assessment.objects.filter(engagement=engagement)}
    scorecard = Scorecard.from_mapping({c: a.answer for c, a in assessments.items()})
    criteria = [
        {
            "criterion": criterion,
            "answer": scorecard.answer(criterion).value,
            "notes": assessments[criterion.value].notes if criterion.value in assessments else "",
        }
        for criterion in Criterion
    ]
    facts = EngagementFacts(
        stage=Stage(engagement.stage),
        good_candidate=Answer(engagement.good_candidate),
        qualified=Answer(engagement.qualified),
        scorecard=scorecard,
        verbal_yes_by=engagement.verbal_yes_by,
        verbal_yes_on=engagement.verbal_yes_on,
        executed_close_on=engagement.executed_close_on,
        executed_agreement=engagement.executed_agreement,
    )
    require_complete = get_profile().qualification.require_complete_scorecard
    moves = []
    for stage in ALLOWED_MOVES[facts.stage]:
        # Closing and reopening need a reason the form asks for; judge the rest as they stand.
        reason = "(given in the form)" if stage in (Stage.CLOSED, Stage.LEAD) else ""
        moves.append(
            MoveOption(
                stage, check_move(facts, stage, reason=reason, require_complete_scorecard=require_complete)
            )
        )
    tasks = list(
        Task.objects.filter(engagement=engagement).order_by(
            F("done_at").asc(nulls_first=True), "due_on", "id"
        )
    )
    documents = list(
        Document.objects.filter(engagement=engagement).prefetch_related(
            Prefetch("shares", queryset=Share.objects.select_related("contact").order_by("id"))
        )
    )
    emails, timeline = _emails_and_timeline(engagement)
    runs = list(
        PlaybookRun.objects.filter(engagement=engagement).only(
            "playbook", "title", "status", "error", "started_at"
        )
    )
    return EngagementPage(
        engagement=engagement,
        contacts=contacts,
        good_candidate=engagement.good_candidate,
        qualified=engagement.qualified,
        criteria=criteria,
        scorecard=scorecard,
        moves=moves,
        tasks=tasks,
        documents=documents,
        timeline=timeline,
        emails=emails,
        unfinished_runs=[r for r in runs if r.status != PlaybookRun.Status.SUCCEEDED],
        completed_playbooks={r.playbook for r in runs if r.status == PlaybookRun.Status.SUCCEEDED},
        agreement=agreement_panel(engagement),
        technical=technical_record(engagement),
    )
