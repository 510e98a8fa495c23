from __future__ import annotations

import io

import docx
import pytest

from partnerdesk.pipeline import services
from partnerdesk.pipeline.qualification import Answer
from partnerdesk.pipeline.stages import Stage


@pytest.fixture
def prospect(db, alice_actor):
    """Harbor University, two contacts, at Prospect after Lee Park's verbal yes."""
    engagement = services.engagement_create(
        organization_name="Harbor University",
        contacts=[("Lee Park", "lee@harbor.example.edu"), ("Ana Ruiz", "ana@harbor.example.edu")],
        actor=alice_actor,
    )
    services.engagement_qualify(
        engagement=engagement, actor=alice_actor, good_candidate=Answer.YES, qualified=Answer.YES
    )
    services.engagement_move(engagement=engagement, to=Stage.QUALIFIED_LEAD, actor=alice_actor)
    services.engagement_record_verbal_yes(engagement=engagement, by="Lee Park", actor=alice_actor)
    services.engagement_move(engagement=engagement, to=Stage.PROSPECT, actor=alice_actor)
    return engagement


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def edited(content: bytes, replacements: dict[str, str], *, append: str | None = None) -> bytes:
    """A partner's edit of a .docx: words replaced in place, maybe a paragraph added."""
    document = docx.Document(io.BytesIO(content))
    for paragraph in document.paragraphs:
        for old, new in replacements.items():
            if old in paragraph.text:
                paragraph.text = paragraph.text.replace(old, new)
    if append:
        document.add_paragraph(append)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


from tests.smtp_server import smtp_server, smtp_sink  # noqa: E402, F401 - fixtures
