"""Speed and memory figures for partnerdesk, printed as one plain-text table (`make bench`).

What it measures, on a throw-away database in a temporary PARTNERDESK_HOME:

1. Import of a generated CSV of leads (default 10,000 rows): the check phase (`read_lead_rows`), the
   write phase (`leads_import`) and both together, in rows/s. These runs are rolled back so they can be
   repeated (the commit is not counted); the import that follows, into a non-empty database, commits.
2. `partnerdesk lead list --json`, called in-process: time, SQL query count and JSON size at a tenth of
   the rows and at all of them, to show that the number of queries does not grow with the rows.
3. The peak of Python memory (tracemalloc) during one whole import.

It uses SQLite in the temporary folder, or the database at BENCH_DATABASE_URL if set: that one must hold
no engagements yet, and keeps the rows the benchmark writes.

Why ratios: these numbers come from shared, noisy machines, where absolute times move by tens of per
cent from one run to the next. So every time is the best of `--repeat` runs, and is given beside a bare
standard library peer measured in the same run on the same data (`csv.DictReader` over the same file,
`json.dumps` of the same data): the ratio of the two is the figure to compare between runs and machines.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import gc
import io
import json
import os
import platform
import random
import sqlite3
import time
import tracemalloc
from pathlib import Path
from typing import Any

from common import Line, best_of, print_table, throwaway_home

FIRST = ["Jane", "John", "Amara", "Wei", "Lucía", "Omar", "Priya", "Lars", "Chloé", "Kofi", "Mei", "Ivan"]
LAST = ["Doe", "Smith", "Okafor", "Chen", "García", "Haddad", "Patel", "Berg", "Martin", "Mensah", "Ng"]
KINDS = ["University", "College", "Institute", "Foundation", "Library", "Museum", "School of Music"]
PLACES = ["Northfield", "Lakeside", "St. Anne's", "Riverside", "Montréal", "Ashford", "Greenhill", "Kyoto"]
NOTES = ["", "", "", "Met at the spring conference", "Asked for the rates, then the handbook", "Warm intro"]


def write_csv(path: Path, rows: int, seed: int) -> None:
    """`rows` leads over about rows/5 organizations; the same file for the same seed."""
    rng = random.Random(seed)
    organizations = max(1, rows // 5)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["organization", "contacts", "stage", "note"])
        for _ in range(rows):
            org = rng.randrange(organizations)
            people = []
            for _ in range(2 if rng.random() < 0.2 else 1):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                email = f"{first}.{last}.{rng.randrange(1000)}@uni{org}.example.edu".lower()
                people.append(f"{first} {last} <{email}>")
            stage = rng.choices(["lead", "qualified-lead", "prospect"], weights=[80, 12, 8])[0]
            name = f"{PLACES[org % len(PLACES)]} {KINDS[org % len(KINDS)]} {org}"
            writer.writerow([name, "; ".join(people), stage, rng.choice(NOTES)])


def stdlib_read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def lead_list_json() -> tuple[float, int, str]:
    """`partnerdesk lead list --json` in-process: seconds, SQL queries, output."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnerdesk.cli import main

    out, err = io.StringIO(), io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                main(["partnerdesk", "lead", "list", "--json"])
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise RuntimeError(f"lead list failed ({exc.code}): {err.getvalue().strip()}") from None
        elapsed = time.perf_counter() - start
    return elapsed, len(queries.captured_queries), out.getvalue()


def measure(home: Path, *, rows: int, repeat: int, seed: int) -> list[Line]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from partnerdesk.pipeline.importing import leads_import, read_lead_rows
    from partnerdesk.pipeline.models import Engagement
    from partnerdesk.pipeline.services import Actor

    call_command("migrate", verbosity=0)
    if Engagement.objects.exists():
        raise SystemExit("bench: the database already holds engagements; use an empty one")
    actor = Actor(label="bench")
    path = home / "bench.csv"
    write_csv(path, rows, seed)
    db = sqlite3.sqlite_version if connection.vendor == "sqlite" else getattr(connection, "pg_version", "")
    csv_facts = f"{len({row['organization'] for row in stdlib_read(path)}):,} organizations"
    print(f"python {platform.python_version()} | {os.cpu_count()} CPUs | {connection.vendor} {db} | "
          f"CSV: {rows:,} rows, {csv_facts}, {path.stat().st_size:,} bytes")  # fmt: skip

    def import_rolled_back(checked: list[Any] | None = None) -> None:
        with transaction.atomic():
            lead_rows = read_lead_rows(path) if checked is None else checked
            result = leads_import(rows=lead_rows, actor=actor, source_name="bench.csv")
            if result.engagements != rows:
                raise RuntimeError(f"imported {result.engagements} engagements out of {rows} rows")
            transaction.set_rollback(True)

    t_stdlib = best_of(repeat, lambda: stdlib_read(path))
    t_import = best_of(repeat, import_rolled_back)
    t_check = best_of(repeat, lambda: read_lead_rows(path))
    checked = read_lead_rows(path)
    t_write = best_of(repeat, lambda: import_rolled_back(checked))
    gc.collect()
    tracemalloc.start()
    import_rolled_back()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    def rate(seconds: float, count: int = rows) -> str:
        return f"{count / seconds:,.0f}"

    table: list[Line] = [
        ("measure", "value", "unit", f"ratio / notes (times: best of {repeat})"),
        (f"import {rows:,} leads (check + write)", rate(t_import), "rows/s",
         f"{t_import / t_stdlib:,.0f}x stdlib time ({t_import * 1000:,.0f} ms vs {t_stdlib * 1000:,.1f} ms)"),
        ("  stdlib csv.DictReader, same file", rate(t_stdlib), "rows/s", "the bare standard library peer"),
        ("  check phase: read_lead_rows", rate(t_check), "rows/s", f"{t_check / t_stdlib:,.1f}x stdlib time"),
        ("  write phase: leads_import", rate(t_write), "rows/s", f"{t_write / t_stdlib:,.0f}x stdlib time"),
        (f"  peak memory, {rows:,}-row import", f"{peak / 2**20:,.1f}", "MiB",
         f"tracemalloc peak: Python objects only, {peak / rows / 1024:,.1f} KiB/row"),
    ]  # fmt: skip
    first, done, first_queries = rows // 10, 0, 0
    for upto in (first, rows):
        gc.collect()
        start = time.perf_counter()
        leads_import(rows=checked[done:upto], actor=actor, source_name="bench.csv")
        t_commit = time.perf_counter() - start
        if done:
            more = upto - done
            per_row = t_commit / more / (t_write / rows)
            table.insert(6, (f"  write {more:,} more into {done:,}, committed", rate(t_commit, more),
                          "rows/s", f"one run; {per_row:.2f}x the write phase's time per row"))  # fmt: skip
        done = upto
        runs = [lead_list_json() for _ in range(repeat)]
        t_list, queries, output = min(runs)[0], max(run[1] for run in runs), runs[0][2]
        data = json.loads(output)
        if len(data) != upto:
            raise RuntimeError(f"lead list --json gave {len(data)} engagements, expected {upto}")
        t_dumps = best_of(repeat, functools.partial(json.dumps, data, indent=2, ensure_ascii=False))
        first_queries = first_queries or queries
        growth = "same as at " + f"{first:,}" if queries == first_queries else f"GROWS from {first_queries}"
        size = len(output.encode("utf-8"))
        table += [
            (f"lead list --json, {upto:,} engagements", f"{t_list * 1000:,.1f}", "ms",
             f"{t_list / t_dumps:,.1f}x json.dumps of the same data ({t_dumps * 1000:,.1f} ms)"),
            ("  SQL queries", str(queries), "queries", "baseline" if upto == first else growth),
            ("  JSON size", f"{size:,}", "bytes", f"{size / upto:,.0f} bytes/engagement"),
        ]  # fmt: skip
    connection.close()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="leads in the generated CSV (10000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure; the best is kept (3)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the generated CSV")
    args = parser.parse_args()
    if args.rows < 10 or args.repeat < 1:
        parser.error("--rows must be at least 10 and --repeat at least 1")

    with throwaway_home("partnerdesk-bench-") as home:
        table = measure(home, rows=args.rows, repeat=args.repeat, seed=args.seed)
    print_table(table)


if __name__ == "__main__":
    main()
