"""Strict parsing of settings from the environment.

Each helper refuses a malformed value with a message naming the variable, instead of
guessing. Secrets may be given directly or through a ``NAME_FILE`` variable holding a path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class EnvError(ValueError):
    """A setting in the environment is malformed."""


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_secret(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of NAME, or the contents of the file named by NAME_FILE."""
    environ = os.environ if environ is None else environ
    direct = env_str(name, environ=environ)
    file_name = env_str(f"{name}_FILE", environ=environ)
    if direct is not None and file_name is not None:
        raise EnvError(f"{name} and {name}_FILE are both set; set only one")
    if file_name is None:
        return direct
    try:
        return Path(file_name).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise EnvError(f"{name}_FILE: cannot read {file_name}: {exc.strerror}") from None


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = env_str(name, environ=environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise EnvError(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, *, environ: Mapping[str, str] | None = None) -> int:
    value = env_str(name, environ=environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"{name}={value!r} is not a whole number") from None
    if number < 0:
        raise EnvError(f"{name}={value!r} must not be negative")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    value = env_str(name, environ=environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
