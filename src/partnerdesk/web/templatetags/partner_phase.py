"""`{% partner_phase_section %}`: the engagement page's Partner section, with its own reads.

An inclusion tag, so the engagement page's view and template need only one line for it.
"""

from __future__ import annotations

from typing import Any

from django import template

from partnerdesk.agreements.partnership_rules import SCHEDULES
from partnerdesk.lib import clock
from partnerdesk.partnership.checkins import RATINGS
from partnerdesk.partnership.models import Renewal
from partnerdesk.web.partner_phase import partner_phase

register = template.Library()


@register.inclusion_tag("partnerdesk/partials/partner_phase.html", takes_context=True)
def partner_phase_section(context: template.Context) -> dict[str, Any]:
    engagement, page = context["engagement"], context["page"]
    return {
        "engagement": engagement,
        "page": page,
        "phase": partner_phase(engagement, timeline=page.timeline),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],  # the messages said at its places ({% answers %})
        "here": context["request"].get_full_path(),
        "ratings": RATINGS.items(),
        "outcomes": Renewal.Outcome.choices,
        "schedules": SCHEDULES,
        "now": clock.now(),
    }
