"""What every benchmark script shares: a throw-away data folder, best-of timing, the table.

Each script prints its own table of (measure, value, unit, notes). A figure with a goal says so
in its notes, in one form that `bench/table.py` reads back to make `make bench`'s single table:

    "<ratio>x <the reference, measured in the same run>; goal <op> <number>x: meets"

(`figure_notes` writes it). With BENCH_FIGURES set to a file, `print_table` also appends the
script's rows to that file, one JSON object per script.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Line = tuple[str, str, str, str]  # measure, value, unit, ratio / notes


@contextlib.contextmanager
def throwaway_home(prefix: str) -> Iterator[Path]:
    """A temporary PARTNERDESK_HOME with its own SQLite file (or BENCH_DATABASE_URL), set up
    before Django is imported: settings are read from the environment once, on import."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["PARTNERDESK_HOME"] = str(home)
    os.environ.pop("PARTNERDESK_CONFIG", None)
    os.environ["DATABASE_URL"] = (
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{home / 'partnerdesk.sqlite3'}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "partnerdesk.settings"
    os.environ["PARTNERDESK_LOG_LEVEL"] = "WARNING"
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def best_of(repeat: int, run: Callable[[], Any], prepare: Callable[[], Any] | None = None) -> float:
    """The fastest of `repeat` runs of `run`, in seconds (`prepare` is not timed)."""
    times = []
    for _ in range(repeat):
        if prepare is not None:
            prepare()
        gc.collect()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def figure_notes(ratio: float, reference: str, *, goal: str = "", meets: bool | None = None) -> str:
    """Notes in the form bench/table.py reads: the ratio to a reference of the same run, and the
    goal with its verdict (`goal` as ">= 4x" or "<= 1.5x")."""
    notes = f"{ratio:,.2f}x {reference}"
    if goal:
        notes += f"; goal {goal}: {'meets' if meets else 'misses'}"
    return notes


def print_table(table: list[Line]) -> None:
    record = os.environ.get("BENCH_FIGURES")
    if record:
        with open(record, "a", encoding="utf-8") as handle:
            script = Path(sys.argv[0]).name
            handle.write(json.dumps({"script": script, "rows": [list(line) for line in table[1:]]}) + "\n")
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for number, line in enumerate(table):
        name, value, unit, notes = line
        print(f"{name:<{widths[0]}} | {value:>{widths[1]}} | {unit:<{widths[2]}} | {notes}".rstrip())
        if number == 0:
            print("-+-".join("-" * width for width in widths))
