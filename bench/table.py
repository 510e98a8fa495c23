"""`make bench`'s one table: every figure the bench scripts recorded, with its reference.

    .venv/bin/python bench/table.py FIGURES.jsonl

Each bench script, run with BENCH_FIGURES=FIGURES.jsonl, appends its rows to that file
(common.print_table). A row's notes carry its ratio to a reference measured in the same run, and
its goal with the verdict, in the form common.figure_notes writes:

    "0.31x the bare parser's rate (1,400 msg/s, same run); goal >= 0.30x: meets"

This prints them as one table (figure, value, ratio, reference, goal, verdict), the machine it
ran on above it, and how many goals were met below it. Exit status 0 either way: a missed goal
is a finding, not a failure.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from pathlib import Path

RATIO = re.compile(r"^(?P<ratio>[\d,.]+x) (?P<reference>.*)$")
GOAL = re.compile(r"goal (?P<goal>[^:;]+): (?P<verdict>meets|misses)")
NOT_MEASURED = re.compile(r"[^;]*not measured[^;]*")
HEADER = ("bench", "figure", "value", "ratio", "reference (same run)", "goal", "verdict")
SHORT = {"run.py": "import", "inbound_bench.py": "inbound", "mail_bench.py": "outbox",
         "mailgate_bench.py": "mailgate", "web_bench.py": "web", "playbook_bench.py": "playbooks",
         "partnership_bench.py": "partnership"}  # fmt: skip


def machine() -> str:
    load = ""
    if hasattr(os, "getloadavg"):  # other processes' load: the ratios hold better than the figures
        load = " | load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"python {platform.python_version()} ({platform.python_implementation()}) | "
        f"{os.cpu_count()} CPUs | {platform.system()} {platform.release()} {platform.machine()}{load}"
    )


def first_part(notes: str) -> str:
    """The notes up to the first `;` outside parentheses."""
    depth = 0
    for at, char in enumerate(notes):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            return notes[:at]
    return notes


def rows_of(path: Path) -> list[tuple[str, ...]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        bench = SHORT.get(record["script"], record["script"])
        for name, value, unit, notes in record["rows"]:
            ratio = RATIO.match(first_part(notes))
            goal = GOAL.search(notes)
            missing = NOT_MEASURED.search(notes)
            rows.append((
                bench,
                name.strip(),
                f"{value} {unit}".strip() if value != "-" else "-",
                ratio["ratio"] if ratio else "",
                ratio["reference"].strip() if ratio else ("" if goal or missing else notes),
                goal["goal"].strip() if goal else "",
                goal["verdict"] if goal else (missing.group(0).strip() if missing else ""),
            ))  # fmt: skip
    return rows


def render(rows: list[tuple[str, ...]]) -> str:
    table = [HEADER, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    lines = []
    for number, row in enumerate(table):
        cells = [cell.rjust(widths[i]) if i == 2 else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append(" | ".join(cells).rstrip())
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: bench/table.py FIGURES.jsonl")
    path = Path(sys.argv[1])
    if not path.exists():
        raise SystemExit(f"bench/table.py: no figures recorded at {path}")
    rows = rows_of(path)
    verdicts = [row[6] for row in rows if row[6] in ("meets", "misses")]
    print(machine())
    print(render(rows))
    print(
        f"{verdicts.count('meets')} of {len(verdicts)} goals met"
        + (f"; {verdicts.count('misses')} missed" if "misses" in verdicts else "")
        + "; details of each script in the .txt files beside "
        + path.name
    )


if __name__ == "__main__":
    main()
