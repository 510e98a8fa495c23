"""The `partnerdesk` console script: every Django management command, without manage.py.

Whatever goes wrong ends in one clear line on stderr and a non-zero exit status; the full
traceback of an unexpected error goes to `errors.log` in the data folder, not to the terminal.
"""

# Only `os` and `sys` before the dispatch below (and no `from __future__ import annotations`,
# which imports a module too): an MTA runs `partnerdesk mailgate` once per message, and whatever
# this file imports it pays for on every delivery. Everything else is imported where it is used.
import os
import sys

# Spellings a person may type for a command whose module name has an underscore.
COMMAND_ALIASES = {"login-link": "login_link"}


def _log_traceback() -> str | None:
    import datetime as dt
    import traceback
    from pathlib import Path

    home = Path(os.environ.get("PARTNERDESK_HOME") or "var")
    try:
        home.mkdir(parents=True, exist_ok=True)
        log = home / "errors.log"
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} partnerdesk {' '.join(sys.argv[1:])}\n")
            handle.write(traceback.format_exc())
        return str(log)
    except OSError:
        return None


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "partnerdesk"
    if len(argv) > 1 and argv[1] == "mailgate":
        # An MTA runs this once per message: spool it with `os` and `sys` alone, no Django.
        from partnerdesk.inbound.mailgate import main as mailgate_main

        mailgate_main(argv)

    # `partnerdesk login-link` and `partnerdesk help login-link` both reach login_link.
    command_at = 2 if argv[1:2] == ["help"] else 1
    if len(argv) > command_at and argv[command_at] in COMMAND_ALIASES:
        argv[command_at] = COMMAND_ALIASES[argv[command_at]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    # Django and the profile load only past this point: mailgate above must start without them.
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    from partnerdesk.profile import ProfileError

    try:
        execute_from_command_line(argv)
    except (ProfileError, ImproperlyConfigured) as exc:
        sys.stderr.write(f"partnerdesk: configuration error: {exc}\n")
        sys.exit(2)
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = " (has `partnerdesk migrate` run? `make run` does it)" if "no such table" in first_line else ""
        sys.stderr.write(f"partnerdesk: database error: {first_line}{hint}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("partnerdesk: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never a traceback
        log = _log_traceback()
        where = f"; details in {log}" if log else ""
        sys.stderr.write(f"partnerdesk: unexpected error: {type(exc).__name__}: {exc}{where}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
