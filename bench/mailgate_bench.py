"""mailgate start-up cost, printed as one plain-text table (`.venv/bin/python bench/mailgate_bench.py`).

An MTA runs `partnerdesk mailgate` once per message, so its cost is a process start-up: the figure
is the median wall time of `--runs` deliveries of one message (from the shared corpus generator,
`../shared/bench/gen_messages.py`) through the installed console script, beside the median of as
many `python -c pass` runs of the same interpreter, in the same environment, interleaved one for
one so that load from other processes falls on both alike. Goal: at most 1.5x `python -c pass`.

1. As an MTA runs it: this environment without its PYTHON* variables (Postfix's pipe passes
   hardly any), after one delivery that leaves the bytecode cached as any first delivery does.
2. With no cached bytecode at all (a read-only editable install, or PYTHONDONTWRITEBYTECODE=1 as
   in the development shell): the same script, its modules copied to a fresh folder put first on
   PYTHONPATH. Each run then compiles them, and the first compile() in a process costs ~2 ms on
   its own (it sets up the AST types), which `python -c pass` never pays.

Every delivery must exit 0 and leave one spool file; the table says how many there are.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import Line, print_table, throwaway_home

import partnerdesk

GOAL = 1.5
GENERATOR = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "gen_messages.py"
SCRIPT = Path(sys.executable).parent / "partnerdesk"
# What the console script needs before it dispatches mailgate, and nothing else.
MAILGATE_MODULES = ["__init__.py", "cli.py", "inbound/__init__.py", "inbound/mailgate.py"]
SOURCE = Path(partnerdesk.__file__).parent


def sample_message(folder: Path) -> bytes:
    if not GENERATOR.exists():
        raise SystemExit(f"mailgate_bench: the corpus generator is missing: {GENERATOR} (../shared/bench/)")
    subprocess.run([sys.executable, str(GENERATOR), str(folder), "21"], check=True, capture_output=True)
    return sorted(folder.glob("*.eml"))[10].read_bytes()


def interleaved(runs: int, raw: bytes, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall times of `runs` deliveries and of `runs` bare start-ups, alternating."""
    gate, bare = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(SCRIPT), "mailgate"], input=raw, env=env, capture_output=True)
        gate.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"mailgate_bench: mailgate exited {done.returncode}: {done.stderr[:200]!r}")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True, capture_output=True)
        bare.append(time.perf_counter() - start)
    return gate, bare


def bytecode_cached() -> bool:
    return all(
        Path(importlib.util.cache_from_source(str(SOURCE / name))).exists() for name in MAILGATE_MODULES
    )


def measure(home: Path, *, runs: int) -> list[Line]:
    raw = sample_message(home / "corpus")
    mta_env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    mta_env["PARTNERDESK_HOME"] = str(home / "mta")
    interleaved(1, raw, mta_env)  # the first delivery after an install writes the bytecode
    gate, bare = interleaved(runs, raw, mta_env)
    cached = bytecode_cached()

    copy = home / "uncached"
    for name in MAILGATE_MODULES:
        (copy / "partnerdesk" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / name, copy / "partnerdesk" / name)
    cold_env = {**mta_env, "PARTNERDESK_HOME": str(home / "cold"), "PYTHONPATH": str(copy)}
    cold_env["PYTHONDONTWRITEBYTECODE"] = "1"
    cold_gate, cold_bare = interleaved(runs, raw, cold_env)
    if list(copy.rglob("*.pyc")):
        raise SystemExit("mailgate_bench: the uncached copy got bytecode after all")

    spooled = sum(len(list((home / where / "spool").glob("*.eml"))) for where in ("mta", "cold"))
    ms = lambda seconds: f"{seconds * 1000:,.1f}"  # noqa: E731

    def row(name: str, gate: list[float], bare: list[float], how: str) -> Line:
        ratio = statistics.median(gate) / statistics.median(bare)
        verdict = "meets" if ratio <= GOAL else "misses"
        return (f"mailgate {name}, median of {len(gate)}", ms(statistics.median(gate)), "ms",
                f"{ratio:,.2f}x `python -c pass` ({ms(statistics.median(bare))} ms, {how}); "
                f"goal <= {GOAL}x: {verdict}")  # fmt: skip

    print(f"python {platform.python_version()} | {os.cpu_count()} CPUs | {platform.machine()} | "
          f"one message of {len(raw):,} bytes from gen_messages.py, {SCRIPT}")  # fmt: skip
    return [
        ("measure", "value", "unit", "ratio / notes"),
        row("as an MTA runs it", gate, bare, f"same run; bytecode cached: {'yes' if cached else 'no'}"),
        row("with no cached bytecode", cold_gate, cold_bare, "same run; compiles 4 modules per message"),
        ("  spooled files", str(spooled), "files", f"{1 + 2 * runs} expected"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="deliveries and bare start-ups to time (50)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not SCRIPT.exists():
        raise SystemExit(f"mailgate_bench: no console script at {SCRIPT}: run it with the venv's python")
    with throwaway_home("partnerdesk-mailgate-bench-") as home:
        table = measure(home, runs=args.runs)
    print_table(table)


if __name__ == "__main__":
    main()
