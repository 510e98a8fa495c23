"""What every page shows the same way: the organization's brand, errors in plain words, file names.

`{% brand as brand %}` reads only the profile file, never the database, so the error pages and
the 503 page (rendered without a request) carry the organization's name too.
"""

from __future__ import annotations

import re
from pathlib import Path

from django import template
from django.utils.safestring import SafeString

from partnerdesk.playbooks.specs import DEFAULTS_DIR
from partnerdesk.web.branding import Brand, current_brand
from partnerdesk.web.markdown import render_markdown_inline

register = template.Library()

# "ConnectionRefusedError: ", "smtplib.SMTPServerDisconnected: ", "[Errno 111] ": what Python
# writes for a programmer. The words after it are what a user can act on.
_CLASS_PREFIX = re.compile(
    r"\b(?:[a-z_][a-z0-9_]*\.)*[A-Z][A-Za-z0-9_]*(?:Error|Exception|Refused|Timeout|Disconnected|Failed)"
    r"(?::\s*|\(\)|\b(?=\s*(?:\)|$)))"
)
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)")


@register.simple_tag
def brand() -> Brand:
    return current_brand()


@register.filter(is_safe=True)  # what it cuts out cannot make markup: safe stays safe
def plain_error(value: object) -> str:
    """An error as stored (it may name a Python exception class) in the words a user reads."""
    text = without_paths(_ERRNO.sub("", _CLASS_PREFIX.sub("", str(value or "")))).strip()
    text = re.sub(r"\(\s*\)", "", text).strip()
    if text.endswith(":"):
        text = text[:-1].rstrip()
    if str(value or "").strip() and not text:
        return "an unexpected error"
    return text


@register.filter
def step_title(value: object) -> SafeString:
    """A playbook step's title, Markdown as in the handbook: `PartnerX` as code, not in backticks."""
    return render_markdown_inline(str(value))


@register.filter
def file_name(value: object) -> str:
    """Only the name of a file, never the server's folders."""
    return Path(str(value)).name


@register.filter
def without_paths(value: object) -> str:
    """A message with each absolute path on the server cut to its file name."""
    return _ABSOLUTE_PATH.sub(r"\1", str(value))


@register.filter
def playbook_source(value: object) -> str:
    """Where a playbook file comes from, without the server's paths: shipped, or the team's folder."""
    path = Path(str(value))
    shipped = path.parent == Path(DEFAULTS_DIR)
    where = "shipped with partnerdesk" if shipped else "your team's playbooks folder"
    return f"{path.name} ({where})"
