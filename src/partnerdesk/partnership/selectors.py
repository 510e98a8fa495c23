"""Reads of the partner phase: missed items, what an agreement will send, one item's row."""

from __future__ import annotations

from typing import Any

from partnerdesk.agreements.models import Agreement
from partnerdesk.agreements.partnership_rules import PreviewRow, item_label, preview
from partnerdesk.lib import clock
from partnerdesk.partnership.models import Tickler
from partnerdesk.partnership.ticklers import agreement_planned_items
from partnerdesk.pipeline.models import Engagement


def missed_items(engagement: Engagement) -> list[Tickler]:
    """The engagement's items whose date passed unsent, oldest first, for a person to send, skip
    or mark done."""
    return list(
        Tickler.objects.filter(engagement=engagement, status=Tickler.Status.MISSED)
        .select_related("agreement")
        .order_by("due_on", "id")
    )


def agreement_preview(agreement: Agreement, *, days: int = 90) -> list[PreviewRow]:
    """What the agreement's dates and terms will send, if recorded as executed today: the items
    that would be missed, the current one of each kind (sent now), and those of the next `days`.

    Works on an agreement not executed yet (the terms as they stand), even one not saved yet
    (an `Agreement(engagement=..., value=..., term_start=...)` built from a form), as on an
    executed one. It plans nothing.
    """
    return preview(
        agreement_planned_items(agreement),
        engagement_id=agreement.engagement_id,
        today=clock.today(),
        days=days,
    )


def tickler_row(tickler: Tickler) -> dict[str, Any]:
    """One item as the list, the JSON output and the engagement page show it."""
    return {
        "id": tickler.pk,
        "due_on": tickler.due_on.isoformat(),
        "kind": tickler.kind,
        "label": item_label(tickler.kind, tickler.payload),
        "status": tickler.status,
        "reference": tickler.engagement.reference,
        "organization": tickler.engagement.organization.name,
        "agreement": tickler.agreement.title if tickler.agreement else None,
        "payload": tickler.payload,
        "fired_at": tickler.fired_at.isoformat() if tickler.fired_at else None,
        "outcome": tickler.outcome,
        "resolved_by": tickler.resolved_by,
        "last_error": tickler.last_error,
    }
