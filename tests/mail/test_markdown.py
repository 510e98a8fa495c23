"""One Markdown renderer (markdown-it-py) for mail and the web: what a reader of each part sees."""

from __future__ import annotations

from partnerdesk.lib.markdown import markdown_html, markdown_inline_html, markdown_text

CANNED = (
    "Hello!\n\nI invite you to [schedule a virtual meeting by clicking here]"
    "(https://calendly.com/colliand/2i2c-30-minute-zoom-meeting).\n\n"
    "Best regards,\n2i2c's Partnerships Team\n"
)


def test_a_link_is_written_out_in_text_and_an_anchor_in_html():
    assert markdown_text(CANNED) == (
        "Hello!\n\nI invite you to schedule a virtual meeting by clicking here "
        "(https://calendly.com/colliand/2i2c-30-minute-zoom-meeting).\n\n"
        "Best regards,\n2i2c's Partnerships Team\n"
    )
    html = markdown_html(CANNED, breaks=True)
    assert (
        '<a href="https://calendly.com/colliand/2i2c-30-minute-zoom-meeting" rel="noopener noreferrer">'
        "schedule a virtual meeting by clicking here</a>" in html
    )
    assert "<p>Best regards,<br />\n2i2c's Partnerships Team</p>" in html


def test_text_without_markdown_comes_out_exactly_as_it_went_in():
    text = (
        "Hello Lee,\n\n  1 - Very unsatisfied: https://desk.example.org/c/ab_c:_d1_/1/\n"
        "    partnerdesk is indented here\n\n- a list\n- of two\n\nBest regards,\nThe team\n"
    )
    assert markdown_text(text) == text


def test_bold_headings_and_fences_lose_their_syntax_in_the_text_part():
    text = "# Service request\n\n**Community**: students\n\n```\nraw **text**\n```\n"
    assert markdown_text(text) == "Service request\n\nCommunity: students\n\nraw **text**\n"


def test_an_address_in_text_is_a_link_with_every_character_of_it():
    url = "https://desk.example.org/check-in/eyJ_a_:1x*y*:_z_/5/"
    html = markdown_html(f"Five - very satisfied: {url}\n", breaks=True)
    assert f'<a href="{url}"' in html.replace("%2A", "*") and f">{url}</a>" in html
    assert markdown_text(f"Five: {url}\n") == f"Five: {url}\n"


def test_a_name_and_address_keep_their_brackets():
    text = "1. Lee Park <lee@harbor.example.edu> (CIO)\n"
    assert markdown_text(text) == text
    assert (
        'Lee Park &lt;<a href="mailto:lee@harbor.example.edu" rel="noopener noreferrer">'
        "lee@harbor.example.edu</a>&gt; (CIO)" in markdown_html(text)
    )


def test_nothing_from_data_becomes_markup():
    text = '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror="y">\n'
    html = markdown_html(text, breaks=True)
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [click](javascript:alert(1))" in html


def test_the_web_page_headings_sit_below_its_own():
    assert markdown_html("### SOP: Hail the Lead\n", heading_offset=1) == "<h4>SOP: Hail the Lead</h4>\n"


def test_a_steps_title_is_one_line_of_markdown_without_a_paragraph():
    title = "Copy [Template] Running Notes as `Running notes -- PartnerX` <b>now</b>, see https://2i2c.org/x"

    assert markdown_inline_html(title) == (
        "Copy [Template] Running Notes as <code>Running notes -- PartnerX</code> &lt;b&gt;now&lt;/b&gt;, "
        'see <a href="https://2i2c.org/x" rel="noopener noreferrer">https://2i2c.org/x</a>'
    )
