"""`partnerdesk mailgate`: one message on standard input, stored durably, for an MTA's pipe.

No Django, and nothing imported but `os` and `sys`: the MTA starts a process per message, so
every module loaded here is paid on every delivery (`pathlib` and `typing` alone cost more than
the write). The raw bytes go to a hidden temporary file in `$PARTNERDESK_HOME/spool/` in one
write, are flushed to disk, then renamed to `<name>.eml` (a rename is atomic, so the worker never
sees half a message); the worker stores and processes what the spool holds (`inbound/store.py`).

Exit status 0: stored, whatever processing decides later. 75 (EX_TEMPFAIL): not stored (the
folder is unusable, the disk is full, the input broke off), so the MTA keeps the message and
tries again. Postfix bounces on any other status, so nothing else may end in one: no traceback.
"""

# Deliberately without `from __future__ import annotations` (that statement imports the
# `__future__` module at run time): annotations naming typing-only types are quoted instead.
import os
import sys

# `time` is compiled into the interpreter and already loaded by its own start-up (zipimport
# uses it): importing it reads no file. It gives the arrival order its nanoseconds.
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # for mypy only: never imported when the MTA runs us
    from pathlib import Path
    from typing import BinaryIO, NoReturn

EX_OK = 0
EX_TEMPFAIL = 75
SPOOL_NAME = "spool"
SPOOL_SUFFIX = ".eml"
TEMP_PREFIX = ".tmp-"


def home_folder() -> str:
    # The same rule as settings.py: PARTNERDESK_HOME, default ./var.
    return os.path.abspath(os.path.expanduser(os.environ.get("PARTNERDESK_HOME", "").strip() or "var"))


def spool_folder(home: "Path") -> "Path":
    """The spool inside a data folder, for the worker (which holds the data folder as a Path)."""
    return home / SPOOL_NAME


def spool_write(raw: bytes, folder: "str | os.PathLike[str]") -> str:
    """Write one message into `folder` atomically and durably (created if missing); returns the
    final path. Raises OSError when it cannot, and then leaves no file behind."""
    folder = os.fspath(folder)
    # Sorts by arrival; pid and a random part keep concurrent deliveries apart.
    name = f"{time.time_ns():020d}-{os.getpid()}-{os.urandom(6).hex()}"
    temp = os.path.join(folder, TEMP_PREFIX + name)
    final = os.path.join(folder, name + SPOOL_SUFFIX)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        fd = os.open(temp, flags, 0o600)
    except FileNotFoundError:  # the first message ever: one more system call, once
        os.makedirs(folder, exist_ok=True)
        fd = os.open(temp, flags, 0o600)
    try:
        written = os.write(fd, raw)  # one write: a regular file takes it whole (up to 2 GiB)
        while written < len(raw):  # so this only runs for a message past that
            written += os.write(fd, memoryview(raw)[written:])
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    try:
        os.rename(temp, final)
        directory = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(directory)  # the rename itself must survive a crash
        finally:
            os.close(directory)
    except BaseException:
        _unlink_quietly(temp)
        _unlink_quietly(final)
        raise
    return final


def _unlink_quietly(path: str) -> None:
    try:  # noqa: SIM105 - contextlib.suppress would be one more module loaded per message
        os.unlink(path)
    except OSError:
        pass


def main(argv: "list[str] | None" = None, stdin: "BinaryIO | None" = None) -> "NoReturn":
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
        raw = (stdin if stdin is not None else sys.stdin.buffer).read()
        if not raw.strip():
            # Nothing to keep; an empty delivery is not worth a retry loop.
            sys.stderr.write("partnerdesk mailgate: empty message on standard input; nothing stored\n")
            sys.exit(EX_OK)
        spool_write(raw, os.path.join(home_folder(), SPOOL_NAME))
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the MTA must keep the message: never a bounce
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        try:  # noqa: SIM105 - as in _unlink_quietly
            sys.stderr.write(f"partnerdesk mailgate: cannot store the message ({reason}); try again later\n")
        except BaseException:  # noqa: BLE001 - stderr closed: the exit status says it all
            pass
        sys.exit(EX_TEMPFAIL)
    sys.exit(EX_OK)


if __name__ == "__main__":
    main()
