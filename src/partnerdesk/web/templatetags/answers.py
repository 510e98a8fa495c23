"""Messages shown where the user acted (see "Answers in place" in web/htmx.py).

`{% answers "card-" card.engagement.pk %}` shows the messages placed at `card-<pk>` right there;
`{% answers_elsewhere %}...{% end_answers_elsewhere %}` (base.html, around the page's content)
shows the rest above the content: messages without a place, and those whose place is not on
the page. Success and error differ by role (status or alert) and by a word and a sign before the
text (app.css), not by colour alone.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.messages import get_messages
from django.contrib.messages.storage.base import Message
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeData, SafeString, mark_safe

from partnerdesk.web.htmx import PLACE_TAG, message_place
from partnerdesk.web.templatetags.polish import plain_error

register = template.Library()


def _pending(context: template.Context) -> list[Message]:
    """This request's messages not shown yet, read once per request."""
    request = context.get("request")
    if request is None:
        return []
    if not hasattr(request, "_partnerdesk_answers"):
        request._partnerdesk_answers = list(get_messages(request))
    return request._partnerdesk_answers


def _item(message: Message) -> SafeString:
    text: Any = plain_error(message.message)
    if isinstance(message.message, SafeData):
        text = mark_safe(text)  # noqa: S308 - a message built with format_html, its lists kept
    tags = " ".join(tag for tag in (message.extra_tags or "").split() if not tag.startswith(PLACE_TAG))
    # The role sits inside the item: an <li> with a role of its own is no list item (axe "list").
    return format_html(
        '<li class="{}"><div role="{}">{}</div></li>',
        " ".join(filter(None, ["message", message.level_tag, tags])),
        "alert" if message.level_tag == "error" else "status",
        conditional_escape(text),
    )


def _list(found: list[Message], place: str = "") -> SafeString:
    if not found:
        return mark_safe("")
    return format_html(
        '<ul class="messages{}"{}>{}</ul>',
        " placed" if place else "",
        format_html(' data-place="{}"', place) if place else "",
        format_html_join("", "{}", ((_item(message),) for message in found)),
    )


@register.simple_tag(takes_context=True)
def answers(context: template.Context, *parts: object) -> SafeString:
    """The messages placed at the id made of `parts`, shown here (and nowhere else)."""
    place = "".join(str(part) for part in parts)
    pending = _pending(context)
    found = [message for message in pending if message_place(message) == place]
    for message in found:
        pending.remove(message)
    return _list(found, place)


class AnswersElsewhereNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        content = self.nodelist.render(context)  # first: the places on the page take theirs
        rest = _pending(context)
        top = _list(list(rest))
        rest.clear()
        return format_html("{}{}", top, mark_safe(content))  # noqa: S308 - rendered template


@register.tag
def answers_elsewhere(parser: template.base.Parser, token: template.base.Token) -> AnswersElsewhereNode:
    nodelist = parser.parse(("end_answers_elsewhere",))
    parser.delete_first_token()
    return AnswersElsewhereNode(nodelist)
