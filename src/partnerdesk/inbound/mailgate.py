"""`partnerdesk mailgate`: one message on standard input, stored durably, for an MTA's pipe.

Standard library only, and no Django: the MTA calls it once per message, so it must start
fast. The raw bytes are written to a hidden temporary file in `$PARTNERDESK_HOME/spool/`,
flushed to disk, then renamed to `<name>.eml` (a rename is atomic, so the worker never sees half
a message); the worker stores and processes what the spool holds (`inbound/store.py`).

Exit status 0: stored, whatever processing decides later. 75 (EX_TEMPFAIL): not stored (the
folder is unusable, the disk is full, the input broke off), so the MTA keeps the message and
tries again. Postfix bounces on any other status, so nothing else may end in one: no traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO, NoReturn

EX_OK = 0
EX_TEMPFAIL = 75
SPOOL_SUFFIX = ".eml"
TEMP_PREFIX = ".tmp-"


def home_folder() -> Path:
    # The same rule as settings.py: PARTNERDESK_HOME, default ./var.
    return Path(os.environ.get("PARTNERDESK_HOME", "").strip() or "var").expanduser().absolute()


def spool_folder(home: Path | None = None) -> Path:
    return (home or home_folder()) / "spool"


def spool_write(raw: bytes, folder: Path) -> Path:
    """Write one message into the spool atomically and durably; returns its final path."""
    folder.mkdir(parents=True, exist_ok=True)
    # Sorts by arrival; pid and a random part keep concurrent deliveries apart.
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(6).hex()}"
    temp = folder / f"{TEMP_PREFIX}{name}"
    final = folder / f"{name}{SPOOL_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(raw)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    try:
        os.rename(temp, final)
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself must survive a crash
        finally:
            os.close(directory)
    except BaseException:
        _unlink_quietly(temp)
        _unlink_quietly(final)
        raise
    return final


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _read_all(stream: BinaryIO) -> bytes:
    return stream.read()


def main(argv: list[str] | None = None, stdin: BinaryIO | None = None) -> NoReturn:
    """Spool standard input and exit 0, or exit 75; never anything else."""
    argv = list(sys.argv if argv is None else argv)
    try:
        if len(argv) > 2 and argv[2] in ("-h", "--help"):
            sys.stdout.write(
                "usage: partnerdesk mailgate < MESSAGE\n"
                "Stores one RFC 5322 message from standard input for the worker; exit 0 when stored,\n"
                "75 when it could not be stored (the MTA then keeps it and tries again).\n"
            )
            sys.exit(EX_OK)
        raw = _read_all(stdin if stdin is not None else sys.stdin.buffer)
        if not raw.strip():
            # Nothing to keep; an empty delivery is not worth a retry loop.
            sys.stderr.write("partnerdesk mailgate: empty message on standard input; nothing stored\n")
            sys.exit(EX_OK)
        spool_write(raw, spool_folder())
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the MTA must keep the message: never a bounce
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        with contextlib.suppress(BaseException):  # stderr closed: the exit status says it all
            sys.stderr.write(f"partnerdesk mailgate: cannot store the message ({reason}); try again later\n")
        sys.exit(EX_TEMPFAIL)
    sys.exit(EX_OK)


if __name__ == "__main__":
    main()
