"""Inbound mail speed, printed as one plain-text table (`.venv/bin/python bench/inbound_bench.py`).

The corpus is the shared one: `../shared/bench/gen_messages.py OUTDIR 1000` (1,000 realistic
messages of ~3 KB, ~30% replies threading onto earlier ones), written to a temporary folder.
On a throw-away SQLite database in a temporary PARTNERDESK_HOME (or BENCH_DATABASE_URL), it measures:

1. The standard library's parser alone, `email.message_from_bytes(raw, policy=default)` on every
   message: the bare peer for the figures below, measured in the same run.
2. partnerdesk's parser (`parse_message`, pure: headers, bodies, attachments, calendars).
3. The batch path, `partnerdesk inbound ingest FOLDER` as a function: storing each message (parse,
   dedupe by a unique key, one row each), then processing them all (threading, new leads, timeline
   entries), as the worker does. Target: at least 100 messages a second.

mailgate, one process per message, is a matter of start-up time: bench/mailgate_bench.py measures it.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

Line = tuple[str, str, str, str]
GENERATOR = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "gen_messages.py"


def corpus(folder: Path, count: int) -> list[Path]:
    if not GENERATOR.exists():
        raise SystemExit(f"inbound_bench: the corpus generator is missing: {GENERATOR} (../shared/bench/)")
    subprocess.run([sys.executable, str(GENERATOR), str(folder), str(count)], check=True, capture_output=True)
    return sorted(folder.glob("*.eml"))


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}"


def measure(paths: list[Path]) -> list[Line]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from partnerdesk.inbound.models import InboundMessage
    from partnerdesk.inbound.parsing import parse_message
    from partnerdesk.inbound.processing import messages_process_due
    from partnerdesk.inbound.store import folder_ingest

    call_command("migrate", verbosity=0)
    if InboundMessage.objects.exists():
        raise SystemExit("inbound_bench: the database already holds inbound messages; use an empty one")
    raws = [path.read_bytes() for path in paths]
    count = len(raws)
    size = sum(map(len, raws)) // count

    start = time.perf_counter()
    for raw in raws:
        email.message_from_bytes(raw, policy=email.policy.default)
    t_stdlib = time.perf_counter() - start

    start = time.perf_counter()
    for raw in raws:
        parse_message(raw)
    t_parse = time.perf_counter() - start

    start = time.perf_counter()
    new, repeated = folder_ingest(paths)
    t_store = time.perf_counter() - start
    if (new, repeated) != (count, 0):
        raise RuntimeError(f"stored {new} new and {repeated} repeated of {count}")
    start = time.perf_counter()
    processed = 0
    while batch := messages_process_due():
        processed += batch
    t_process = time.perf_counter() - start
    routes = dict.fromkeys(["new_lead", "contact", "reply"], 0)
    for route in InboundMessage.objects.values_list("route", flat=True):
        routes[route] = routes.get(route, 0) + 1
    t_batch = t_store + t_process
    db = connection.vendor
    connection.close()

    batch_ok = "ok" if count / t_batch >= 100 else "MISSES the target"
    print(f"python {platform.python_version()} | {os.cpu_count()} CPUs | {db} | "
          f"{count:,} messages of {size:,} bytes from gen_messages.py")  # fmt: skip
    return [
        ("measure", "value", "unit", "ratio / notes"),
        ("stdlib email.message_from_bytes(policy=default)", rate(count, t_stdlib), "msg/s",
         "the bare standard-library peer, same messages, same run"),
        ("partnerdesk parse_message (pure)", rate(count, t_parse), "msg/s",
         f"{t_parse / t_stdlib:,.2f}x stdlib time"),
        ("batch ingest: store + process", rate(count, t_batch), "msg/s",
         f"{t_batch / t_stdlib:,.1f}x stdlib time; target >= 100 msg/s: {batch_ok}"),
        ("  store (parse, dedupe, one row each)", rate(count, t_store), "msg/s", f"{t_store:,.2f} s"),
        ("  process (thread, lead, timeline)", rate(count, t_process), "msg/s",
         f"{t_process:,.2f} s; " + ", ".join(f"{k} {v}" for k, v in routes.items())),
    ]  # fmt: skip


def print_table(table: list[Line]) -> None:
    widths = [max(len(line[i]) for line in table) for i in range(4)]
    for number, (name, value, unit, notes) in enumerate(table):
        print(f"{name:<{widths[0]}} | {value:>{widths[1]}} | {unit:<{widths[2]}} | {notes}".rstrip())
        if number == 0:
            print("-+-".join("-" * width for width in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages in the corpus (1000)")
    args = parser.parse_args()
    if args.messages < 1:
        parser.error("--messages must be at least 1")

    # Before Django is imported: settings are read from the environment once, on import.
    home = Path(tempfile.mkdtemp(prefix="partnerdesk-inbound-bench-"))
    os.environ["PARTNERDESK_HOME"] = str(home)
    os.environ.pop("PARTNERDESK_CONFIG", None)
    os.environ.pop("EMAIL_URL", None)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{home / 'partnerdesk.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "partnerdesk.settings"
    os.environ["PARTNERDESK_LOG_LEVEL"] = "WARNING"
    try:
        paths = corpus(home / "corpus", args.messages)
        table = measure(paths)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print_table(table)


if __name__ == "__main__":
    main()
