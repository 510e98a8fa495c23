"""What an MTA's delivery loads: the console script reaches mailgate with `os` and `sys` alone.

An MTA starts `partnerdesk mailgate` once per message, so every module on that path is paid on
every delivery; how much that is in milliseconds is bench/mailgate_bench.py's business, not a test's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.inbound.conftest import eml

CONSOLE_SCRIPT = Path(sys.executable).parent / "partnerdesk"  # the one pip generated at install


def imported_modules(stderr: bytes) -> list[str]:
    """The module names `python -X importtime` reports, in the order their imports finished."""
    names = []
    for line in stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.append(name)
    return names


def test_a_delivery_through_the_console_script_imports_nothing_but_partnerdesk_after_start_up(data_folder):
    raw = eml("command_hail_the_lead.eml")
    piped = subprocess.run(
        [sys.executable, "-X", "importtime", str(CONSOLE_SCRIPT), "mailgate"],
        input=raw,
        capture_output=True,
        env={**os.environ, "PARTNERDESK_HOME": str(data_folder)},
        timeout=30,
    )
    assert piped.returncode == 0, piped.stderr[-2000:]
    modules = imported_modules(piped.stderr)
    assert "site" in modules  # the report is there: an empty one would prove nothing

    heavy = {"django", "pathlib", "typing", "re", "__future__", "contextlib", "datetime", "traceback"}
    assert [name for name in modules if name.split(".")[0] in heavy] == []
    after_start_up = modules[len(modules) - modules[::-1].index("site") :]
    assert after_start_up == [
        "partnerdesk",
        "partnerdesk.cli",
        "partnerdesk.inbound",
        "partnerdesk.inbound.mailgate",
    ]

    spooled = list((data_folder / "spool").iterdir())
    assert [path.suffix for path in spooled] == [".eml"]  # no temporary file left behind
    assert spooled[0].read_bytes() == raw
