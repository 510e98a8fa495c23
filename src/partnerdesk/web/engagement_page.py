"""The engagement page by stage: its summary header, which sections are open at each stage, and the
timeline's kinds and pages. Pure reading of what `queries.engagement_page` already loaded: nothing
here runs a query, so the page costs the same queries whatever the stage, filter or page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from partnerdesk.agreements.models import Agreement
from partnerdesk.pipeline.models import Task, TimelineEntry
from partnerdesk.pipeline.stages import Stage
from partnerdesk.web.queries import EngagementPage, MoveOption, TimelineItem

# The page's sections, by the id each has on the page.
SECTIONS = (
    "stage",
    "playbooks",
    "agreement",
    "partner",
    "timeline",
    "contacts",
    "scorecard",
    "tasks",
    "technical",
    "documents",
)

# What the handbook's phases are about (workflow-for-hub-service-leads.md). The stage section (the
# move form), tasks and the timeline matter at every stage; the rest opens when its phase comes.
# A Lead is hailed, met and qualified (contacts, MANIAC-T, running notes); a Qualified Lead is
# helped to decide (running notes shared as documents); a Prospect negotiates the agreement and
# states its technical needs; a Partner is invoiced, checked in with and renewed.
_ALWAYS = frozenset({"stage", "tasks", "timeline"})
OPEN_SECTIONS: Mapping[Stage, frozenset[str]] = {
    Stage.LEAD: _ALWAYS | {"contacts", "scorecard", "playbooks"},
    Stage.QUALIFIED_LEAD: _ALWAYS | {"contacts", "playbooks", "documents"},
    Stage.PROSPECT: _ALWAYS | {"agreement", "documents", "technical", "playbooks"},
    Stage.PARTNER: _ALWAYS | {"partner"},
    Stage.CLOSED: frozenset({"stage", "timeline"}),
}

# Where the page's forms send the user back (`page#place`, see web/htmx.py), for places that are not
# a section's own id: the section that holds them opens, so the answer is not folded away.
_PLACE_SECTIONS = {
    "merge": "stage",
    "runs": "playbooks",
    "partner-links": "documents",
    "missed": "partner",
    "invoices": "partner",
    "check-ins": "partner",
    "renewal": "partner",
}


def section_of_place(place: str) -> str | None:
    if place in SECTIONS:
        return place
    if place.startswith("invoice-"):
        return "partner"
    return _PLACE_SECTIONS.get(place)


def open_sections(
    stage: Stage, *, answered_at: Iterable[str] = (), also: Iterable[str] = ()
) -> dict[str, bool]:
    """Each section's id and whether it is open: the stage's own, those holding a place a message
    answers at, and `also` (the timeline when the user is paging it)."""
    opened = set(OPEN_SECTIONS[stage]) | set(also)
    opened |= {section for place in answered_at if (section := section_of_place(place))}
    return {section: section in opened for section in SECTIONS}


# The timeline's filters: one group per kind a user looks for. Kinds in no group (contacts, tasks,
# bookings) show under "All".
TIMELINE_GROUPS: Mapping[str, tuple[str, frozenset[str]]] = {
    "mail": ("Mail", frozenset({TimelineEntry.Kind.EMAIL_IN, TimelineEntry.Kind.EMAIL_OUT})),
    "notes": ("Notes", frozenset({TimelineEntry.Kind.NOTE, TimelineEntry.Kind.RUNNING_NOTE})),
    "stage": (
        "Stage changes",
        frozenset(
            {
                TimelineEntry.Kind.CREATED,
                TimelineEntry.Kind.STAGE_CHANGED,
                TimelineEntry.Kind.QUALIFICATION_CHANGED,
                TimelineEntry.Kind.VERBAL_YES,
                TimelineEntry.Kind.EXECUTED_CLOSE,
            }
        ),
    ),
    "documents": (
        "Documents",
        frozenset({TimelineEntry.Kind.DOCUMENT, TimelineEntry.Kind.SHARE, TimelineEntry.Kind.AGREEMENT}),
    ),
    "runs": ("Playbook runs", frozenset({TimelineEntry.Kind.PLAYBOOK_RUN})),
}
UNGROUPED_KINDS = frozenset(
    {
        TimelineEntry.Kind.CONTACT_ADDED,
        TimelineEntry.Kind.CONTACT_CHANGED,
        TimelineEntry.Kind.TASK,
        TimelineEntry.Kind.BOOKING,
    }
)
TIMELINE_PER_PAGE = 25


@dataclass(frozen=True)
class TimelineFilter:
    key: str  # "" for all
    label: str
    count: int
    query: str  # the GET query that shows it, from its first page
    current: bool


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    group: str
    number: int
    pages: int
    total: int
    first: int  # the position of the first entry shown, from 1 (0 when none)
    last: int
    filters: list[TimelineFilter]
    newer_query: str  # "" on the first page
    older_query: str  # "" on the last page

    @property
    def paged(self) -> bool:
        return self.pages > 1


def _query(group: str, number: int) -> str:
    params = {"timeline": group} if group else {}
    if number > 1:
        params["timeline_page"] = str(number)
    return "?" + urlencode(params) if params else "?"


def parse_timeline_request(params: Mapping[str, str]) -> tuple[str, int]:
    """The group and page number asked for; anything unknown or malformed means all, page 1."""
    group = params.get("timeline", "")
    if group not in TIMELINE_GROUPS:
        group = ""
    try:
        number = int(params.get("timeline_page", "1"))
    except ValueError:
        number = 1
    return group, max(number, 1)


def timeline_page(
    items: Sequence[TimelineItem], *, group: str = "", number: int = 1, per_page: int = TIMELINE_PER_PAGE
) -> TimelinePage:
    """One page of the timeline (newest first, as given), of one group or of all entries; a page
    past the end shows the last page."""
    counts = {key: 0 for key in TIMELINE_GROUPS}
    group_of = {kind: key for key, (_, kinds) in TIMELINE_GROUPS.items() for kind in kinds}
    for item in items:
        if (key := group_of.get(item.entry.kind)) is not None:
            counts[key] += 1
    chosen = [item for item in items if group_of.get(item.entry.kind) == group] if group else list(items)
    pages = max((len(chosen) + per_page - 1) // per_page, 1)
    number = min(number, pages)
    start = (number - 1) * per_page
    shown = chosen[start : start + per_page]
    filters = [TimelineFilter("", "All", len(items), _query("", 1), group == "")] + [
        TimelineFilter(key, label, counts[key], _query(key, 1), group == key)
        for key, (label, _) in TIMELINE_GROUPS.items()
    ]
    return TimelinePage(
        items=shown,
        group=group,
        number=number,
        pages=pages,
        total=len(chosen),
        first=start + 1 if shown else 0,
        last=start + len(shown),
        filters=filters,
        newer_query=_query(group, number - 1) if number > 1 else "",
        older_query=_query(group, number + 1) if number < pages else "",
    )


@dataclass(frozen=True)
class Summary:
    """The facts the page opens with."""

    stage: Stage
    days_in_stage: int
    value: Decimal | None
    currency: str
    agreement: Agreement | None
    next_task: Task | None
    next_task_overdue: bool
    open_tasks: int
    next_move: MoveOption | None  # the move forward (not closing), when there is one

    @property
    def needs_a_record(self) -> bool:
        """Whether the way forward waits for a verbal yes or an executed close to be recorded."""
        move = self.next_move
        return bool(move and not move.check.allowed and move.stage in (Stage.PROSPECT, Stage.PARTNER))


def _next_task(tasks: Iterable[Task]) -> Task | None:
    """The open task due soonest; an open task with no date only when none has one."""
    open_tasks = [task for task in tasks if not task.is_done]
    dated = [task for task in open_tasks if task.due_on is not None]
    if dated:
        return min(dated, key=lambda task: (task.due_on, task.pk))
    return open_tasks[0] if open_tasks else None


def engagement_summary(page: EngagementPage, *, today: dt.date) -> Summary:
    stage = Stage(page.engagement.stage)
    panel = page.agreement
    # The current agreement (the one in the works, else the latest) as partnership/reports.py
    # counts it: a withdrawn one has no value.
    agreement = panel.agreement if panel else None
    counted = agreement is not None and agreement.status != Agreement.Status.WITHDRAWN
    task = _next_task(page.tasks)
    forward = [move for move in page.moves if move.stage is not Stage.CLOSED and stage is not Stage.CLOSED]
    return Summary(
        stage=stage,
        days_in_stage=page.days_in_stage,
        value=agreement.value if counted and agreement else None,
        currency=agreement.currency if counted and agreement else "",
        agreement=agreement,
        next_task=task,
        next_task_overdue=bool(task and task.due_on and task.due_on < today),
        open_tasks=sum(1 for t in page.tasks if not t.is_done),
        next_move=forward[0] if forward else None,
    )
