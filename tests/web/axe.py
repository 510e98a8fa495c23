"""An accessibility audit of the page a browser test has open, with axe-core.

axe-core's script comes inside the axe-playwright-python package (a test dependency in
pyproject.toml), so the audit needs no network. Use it from any browser test:

    from tests.web.axe import axe_violations, axe_report

    violations = axe_violations(page)
    assert violations == [], axe_report(violations)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Violation:
    """One broken axe rule on the page and the elements that break it."""

    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]
    summaries: tuple[str, ...]

    def __str__(self) -> str:
        return axe_report([self])


@cache
def axe_script() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Violation]:
    """Run every axe-core rule on the page as it is now; return the violations of these impacts.

    page.evaluate runs the script through the DevTools protocol, so the page's Content Security
    Policy does not stop it (no <script> tag is added to the page).
    """
    page.evaluate(axe_script())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = []
    for found in results["violations"]:
        if found["impact"] not in impacts:
            continue
        violations.append(
            Violation(
                rule=found["id"],
                impact=found["impact"],
                help=found["help"],
                help_url=found["helpUrl"],
                targets=tuple(" ".join(map(str, node["target"])) for node in found["nodes"]),
                summaries=tuple(node.get("failureSummary") or "" for node in found["nodes"]),
            )
        )
    return violations


def axe_report(violations: list[Violation], *, page_name: str = "") -> str:
    """The violations as lines a person can act on: the rule, why, and where (first 5 elements)."""
    if not violations:
        return f"{page_name}: no violations" if page_name else "no violations"
    lines = [f"{len(violations)} axe violation(s)" + (f" on {page_name}" if page_name else "") + ":"]
    for violation in violations:
        lines.append(f"- {violation.rule} ({violation.impact}): {violation.help} <{violation.help_url}>")
        for target, summary in list(zip(violation.targets, violation.summaries, strict=True))[:5]:
            detail = " ".join(summary.split())
            lines.append(f"    at {target}" + (f": {detail[:300]}" if detail else ""))
        if len(violation.targets) > 5:
            lines.append(f"    ... and {len(violation.targets) - 5} more element(s)")
    return "\n".join(lines)
