"""Speed and memory figures for partnerdesk, printed as one plain-text table.

What it measures, on a throw-away database in a temporary PARTNERDESK_HOME:

1. Import of a generated CSV of leads (default 10,000 rows): the check phase (`read_lead_rows`), the
   write phase (`leads_import`) and both together, in rows/s. Each run is rolled back so it can be
   repeated; the best of `--repeat` runs is kept, and the commit is not counted. A last import, committed
   into a database that already holds rows, is timed too.
2. `partnerdesk lead list --json`, called in-process: time, SQL query count and JSON size at a tenth of
   the rows and at all of them, to show that the number of queries does not grow with the rows.
3. The peak of Python memory (tracemalloc) during one whole import.

Why ratios: these numbers come from shared, noisy machines, where absolute times move by tens of per
cent from one run to the next. Each figure is therefore given beside a bare standard library peer
measured in the same run on the same data (`csv.DictReader` over the same file, `json.dumps` of the
same data), and the ratio of the two is the figure to compare between runs and machines.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gc
import io
import json
import os
import platform
import random
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIRST = ["Jane", "John", "Amara", "Wei", "Lucía", "Omar", "Priya", "Lars", "Chloé", "Kofi", "Mei", "Ivan"]
LAST = ["Doe", "Smith", "Okafor", "Chen", "García", "Haddad", "Patel", "Berg", "Martin", "Mensah", "Ng"]
KINDS = ["University", "College", "Institute", "Foundation", "Library", "Museum", "School of Music"]
PLACES = ["Northfield", "Lakeside", "St. Anne's", "Riverside", "Montréal", "Ashford", "Greenhill", "Kyoto"]
NOTES = ["", "", "", "Met at the spring conference", "Asked for the rates, then the handbook", "Warm intro"]
Line = tuple[str, str, str, str]  # measure, value, unit, ratio / notes


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


def best_of(repeat: int, run: Callable[[], Any]) -> float:
    """The fastest of `repeat` runs, in seconds (the least disturbed by the rest of the machine)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="leads in the generated CSV (10000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure; the best is kept (3)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the generated CSV")
    args = parser.parse_args()
    if args.rows < 10 or args.repeat < 1:
        parser.error("--rows must be at least 10 and --repeat at least 1")

    home = Path(tempfile.mkdtemp(prefix="partnerdesk-bench-"))
    os.environ["PARTNERDESK_HOME"] = str(home)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "partnerdesk.settings"
    try:
        table = run(home, rows=args.rows, repeat=args.repeat, seed=args.seed)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print_table(table)


def print_table(table: list[Line]) -> None:
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for number, line in enumerate(table):
        cells = [cell.rjust(width) if i == 1 else cell.ljust(width) for i, (cell, width) in enumerate(
            zip(line, widths, strict=True))]
        print(" | ".join(cells).rstrip())
        if number == 0:
            print("-+-".join("-" * width for width in widths))


def database_facts() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"sqlite {connection.Database.sqlite_version}"
    return f"{connection.vendor} {getattr(connection, 'pg_version', '')}".strip()


def run(home: Path, *, rows: int, repeat: int, seed: int) -> list[Line]:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection, transaction

    from partnerdesk.pipeline.importing import leads_import, read_lead_rows
    from partnerdesk.pipeline.services import Actor

    actor = Actor(label="bench")
    path = home / "bench.csv"
    write_csv(path, rows, seed)
    print(f"python {platform.python_version()} | {os.cpu_count()} CPUs | {database_facts()} | {rows} rows, "
          f"best of {repeat} | {platform.platform()}")

    def import_rolled_back() -> None:
        with transaction.atomic():
            result = leads_import(rows=read_lead_rows(path), actor=actor, source_name="bench.csv")
            assert result.engagements == rows, result.engagements
            transaction.set_rollback(True)

    t_stdlib = best_of(repeat, lambda: stdlib_read(path))
    t_check = best_of(repeat, lambda: read_lead_rows(path))
    checked = read_lead_rows(path)

    def write_rolled_back() -> None:
        with transaction.atomic():
            leads_import(rows=checked, actor=actor, source_name="bench.csv")
            transaction.set_rollback(True)

    t_write = best_of(repeat, write_rolled_back)
    t_import = best_of(repeat, import_rolled_back)

    gc.collect()
    tracemalloc.start()
    import_rolled_back()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    def rate(seconds: float, count: int = rows) -> str:
        return f"{count / seconds:,.0f}"

    table: list[Line] = [("measure", "value", "unit", "ratio / notes")]
    table += [
        (f"import {rows:,} leads (check + write)", rate(t_import), "rows/s",
         f"{t_import / t_stdlib:,.0f}x stdlib time ({t_import * 1000:,.0f} ms vs {t_stdlib * 1000:,.1f} ms)"),
        ("  stdlib csv.DictReader, same file", rate(t_stdlib), "rows/s", "bare standard library peer"),
        ("  check phase: read_lead_rows", rate(t_check), "rows/s",
         f"{t_check * 1000:,.0f} ms, {t_check / t_stdlib:,.0f}x stdlib time"),
        ("  write phase: leads_import", rate(t_write), "rows/s",
         f"{t_write * 1000:,.0f} ms, rolled back (commit not counted)"),
        (f"  peak Python memory, {rows:,}-row import", f"{peak / 2**20:,.1f}", "MiB",
         f"tracemalloc peak, {peak / rows / 1024:,.1f} KiB/row; C allocations (database) not seen"),
    ]
    first = rows // 10
    done = 0
    queries_at_first = 0
    for upto in (first, rows):
        gc.collect()
        start = time.perf_counter()
        leads_import(rows=checked[done:upto], actor=actor, source_name="bench.csv")
        t_commit = time.perf_counter() - start
        if done:
            table.append((f"import {upto - done:,} more into {done:,}, committed", rate(t_commit, upto - done),
                          "rows/s", f"write only, one run, {t_commit * 1000:,.0f} ms; per row "
                          f"{t_commit / (upto - done) / (t_write / rows):.2f}x the write phase"))
        done = upto
        runs = [lead_list_json() for _ in range(repeat)]
        t_list = min(seconds for seconds, _, _ in runs)
        queries = max(count for _, count, _ in runs)
        output = runs[0][2]
        data = json.loads(output)
        assert len(data) == upto, (len(data), upto)
        t_dumps = best_of(repeat, lambda data=data: json.dumps(data, indent=2, ensure_ascii=False))
        queries_at_first = queries_at_first or queries
        growth = "baseline" if upto == first else (
            "same as at " + f"{first:,}" if queries == queries_at_first else f"GROWS from {queries_at_first}")
        table += [
            (f"lead list --json, {upto:,} engagements", f"{t_list * 1000:,.1f}", "ms",
             f"{t_list / t_dumps:,.1f}x json.dumps of the same data ({t_dumps * 1000:,.1f} ms)"),
            ("  SQL queries", str(queries), "queries", growth),
            ("  JSON size", f"{len(output.encode('utf-8')):,}", "bytes",
             f"{len(output.encode('utf-8')) / upto:,.0f} bytes/engagement"),
        ]
    connection.close()
    return table


if __name__ == "__main__":
    main()
