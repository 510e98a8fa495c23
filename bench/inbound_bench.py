"""Inbound mail speed, printed as one plain-text table (`.venv/bin/python bench/inbound_bench.py`).

The corpus is the shared one: `../shared/bench/gen_messages.py OUTDIR 1000` (1,000 realistic
messages of ~3 KB, ~30% replies threading onto earlier ones), written to a temporary folder.
On a throw-away SQLite database in a temporary PARTNERDESK_HOME (or BENCH_DATABASE_URL), each
timed run into an empty database, it measures:

1. The bare parser, the standard library's `email.message_from_bytes(raw, policy=default)` on
   every message: the reference for the figures below, measured in the same run.
2. partnerdesk's parser (`parse_message`, pure: headers, bodies, attachments, calendars).
3. Batch ingest, `partnerdesk inbound ingest FOLDER` as a function (`ingest.folder_ingest`):
   chunks of 100 messages, each chunk parsed once, stored in one insert and routed message by
   message in one transaction (threads, new leads, timeline entries). Goals (issue 19): at
   least 0.30 of the bare parser's rate, and at least 4x django-helpdesk's on the same corpus.
4. The peer, django-helpdesk ingesting the same files from a local folder
   (bench/peer_helpdesk.py), when `make bench-peer` has installed it into .venv-peer; otherwise
   the table says it was not measured.
5. Storing only (`inbound ingest --no-process`), and the same messages one at a time
   (`message_store`, then `message_process` for each, as before the batch path), with the SQL
   statements each way takes per message.

Every time is the best of `--repeat` rounds, each round measuring every figure once in turn (so
that load from other processes falls on all alike); the one-at-a-time path runs once.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from common import Line, best_of, figure_notes, print_table, throwaway_home

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_messages.py"
PEER_PYTHON = ROOT / ".venv-peer" / "bin" / "python"
PEER_INSTALLED = ROOT / ".venv-peer" / ".installed"  # written by `make bench-peer` once it is complete
GOAL_VS_PARSER = 0.30
GOAL_VS_PEER = 4.0


def corpus(folder: Path, count: int) -> list[Path]:
    if not GENERATOR.exists():
        raise SystemExit(f"inbound_bench: the corpus generator is missing: {GENERATOR} (../shared/bench/)")
    subprocess.run([sys.executable, str(GENERATOR), str(folder), str(count)], check=True, capture_output=True)
    return sorted(folder.glob("*.eml"))


def peer_measure(folder: Path, repeat: int) -> dict | None:
    """django-helpdesk's run over the same folder, in its own interpreter; None when not installed."""
    if not PEER_INSTALLED.exists():
        return None
    done = subprocess.run(
        [str(PEER_PYTHON), str(ROOT / "bench" / "peer_helpdesk.py"), str(folder), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SystemExit("inbound_bench: the peer failed: " + " / ".join(tail))
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(paths: list[Path], *, repeat: int, peer: bool = True) -> list[Line]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from partnerdesk.inbound.ingest import folder_ingest
    from partnerdesk.inbound.models import InboundMessage
    from partnerdesk.inbound.parsing import parse_message
    from partnerdesk.inbound.processing import messages_process_due
    from partnerdesk.inbound.store import message_store

    call_command("migrate", verbosity=0)
    if InboundMessage.objects.exists():
        raise SystemExit("inbound_bench: the database already holds inbound messages; use an empty one")
    raws = [path.read_bytes() for path in paths]
    count = len(raws)
    size = sum(map(len, raws)) // count

    # Each timed run starts from the empty, migrated database: a copy of it (SQLite), or flushed.
    db_file = Path(connection.settings_dict["NAME"]) if connection.vendor == "sqlite" else None
    empty = db_file.with_suffix(".empty") if db_file else None
    if db_file and empty:
        connection.close()
        shutil.copyfile(db_file, empty)

    def fresh_database() -> None:
        if db_file and empty:
            connection.close()
            for suffix in ("-wal", "-shm"):
                Path(f"{db_file}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(empty, db_file)
        else:
            call_command("flush", interactive=False, verbosity=0)

    statements = {"count": 0}

    def counted(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        statements["count"] += 1
        return execute(sql, params, many, context)

    def with_count(run: Callable[[], object]) -> int:
        fresh_database()
        statements["count"] = 0
        connection.ensure_connection()
        with connection.execute_wrapper(counted):
            run()
        return statements["count"]

    def stdlib() -> None:
        for raw in raws:
            email.message_from_bytes(raw, policy=email.policy.default)

    def parse() -> None:
        for raw in raws:
            parse_message(raw)

    def batch() -> None:
        report = folder_ingest(paths)
        if (report.new, report.processed) != (count, count):
            raise RuntimeError(f"batch ingest: {report} of {count}")

    def store_only() -> None:
        report = folder_ingest(paths, process=False)
        if report.new != count:
            raise RuntimeError(f"store only: {report} of {count}")

    def one_at_a_time() -> None:
        for raw in raws:
            message_store(raw=raw, channel=InboundMessage.Channel.FOLDER)
        while messages_process_due():
            pass

    def routes() -> Counter[str]:
        return Counter(InboundMessage.objects.values_list("route", flat=True))

    # Round by round, each figure once per round, so that load from other processes falls on
    # all of them alike; the best of the rounds is kept.
    t_stdlib = t_parse = t_batch = t_store = float("inf")
    peer_runs: list[dict] = []
    for _ in range(repeat):
        t_stdlib = min(t_stdlib, best_of(1, stdlib))
        t_parse = min(t_parse, best_of(1, parse))
        t_batch = min(t_batch, best_of(1, batch, prepare=fresh_database))
        if peer and (peer_run := peer_measure(paths[0].parent, 1)) is not None:
            peer_runs.append(peer_run)
        t_store = min(t_store, best_of(1, store_only, prepare=fresh_database))
    q_batch = with_count(batch)
    batch_routes = routes()
    fresh_database()
    start = time.perf_counter()
    one_at_a_time()
    t_single = time.perf_counter() - start
    single_routes = routes()
    q_single = with_count(one_at_a_time)
    db = connection.vendor
    connection.close()
    if batch_routes != single_routes:
        raise RuntimeError(f"batch and one at a time differ: {batch_routes} vs {single_routes}")
    peer_run = max(peer_runs, key=lambda run: run["rate"]) if peer_runs else None

    def rate(seconds: float) -> float:
        return count / seconds

    def shown(seconds: float) -> str:
        return f"{rate(seconds):,.0f}"

    versus_parser = rate(t_batch) / rate(t_stdlib)
    parser_ref = f"the bare parser's rate ({shown(t_stdlib)} msg/s, same run)"
    if peer_run is None:
        peer_notes = "peer not measured (make bench-peer)"
        peer_line: Line = ("  django-helpdesk ingest (the peer)", "-", "msg/s", peer_notes)
    else:
        versus_peer = rate(t_batch) / peer_run["rate"]
        peer_notes = figure_notes(
            versus_peer, f"{peer_run['peer']}'s rate ({peer_run['rate']:,.0f} msg/s, same corpus, same run)",
            goal=f">= {GOAL_VS_PEER:g}x", meets=versus_peer >= GOAL_VS_PEER,
        )  # fmt: skip
        peer_line = (f"  {peer_run['peer']} ingest (the peer)", f"{peer_run['rate']:,.0f}", "msg/s",
                     f"process_queue on a local folder: {peer_run['tickets']} tickets, "
                     f"{peer_run['followups']} follow-ups, {peer_run['mails']} mails rendered")  # fmt: skip
    made = ", ".join(f"{route} {n}" for route, n in batch_routes.most_common())
    print(f"python {platform.python_version()} | {os.cpu_count()} CPUs | {db} | "
          f"{count:,} messages of {size:,} bytes from gen_messages.py")  # fmt: skip
    return [
        ("measure", "value", "unit", f"ratio / notes (times: best of {repeat})"),
        ("stdlib email.message_from_bytes(policy=default)", shown(t_stdlib), "msg/s",
         "the bare parser: the reference, same messages, same run"),
        ("partnerdesk parse_message (pure)", shown(t_parse), "msg/s",
         figure_notes(rate(t_parse) / rate(t_stdlib), "the bare parser's rate")),
        ("batch ingest: store + process, chunks of 100", shown(t_batch), "msg/s",
         figure_notes(versus_parser, parser_ref, goal=f">= {GOAL_VS_PARSER:.2f}x",
                      meets=versus_parser >= GOAL_VS_PARSER)),
        ("batch ingest beside the peer", shown(t_batch), "msg/s", peer_notes),
        peer_line,
        ("  store only (inbound ingest --no-process)", shown(t_store), "msg/s",
         f"{t_store:,.2f} s; parse once, one insert per chunk"),
        ("  process (thread, lead, timeline)", shown(t_batch - t_store), "msg/s",
         f"{t_batch - t_store:,.2f} s; {made}"),
        ("  one message at a time (store, then process)", shown(t_single), "msg/s",
         figure_notes(t_single / t_batch, "the batch's time; one run; same routes")),
        ("  SQL statements per message, batch", f"{q_batch / count:,.1f}", "queries",
         f"one at a time: {q_single / count:,.1f}"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages in the corpus (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure; the best is kept (3)")
    parser.add_argument("--no-peer", action="store_true", help="leave django-helpdesk out even if installed")
    args = parser.parse_args()
    if args.messages < 1 or args.repeat < 1:
        parser.error("--messages and --repeat must be at least 1")

    os.environ.pop("EMAIL_URL", None)
    with throwaway_home("partnerdesk-inbound-bench-") as home:
        paths = corpus(home / "corpus", args.messages)
        table = measure(paths, repeat=args.repeat, peer=not args.no_peer)
    print_table(table)


if __name__ == "__main__":
    main()
