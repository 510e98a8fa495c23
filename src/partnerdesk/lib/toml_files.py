"""Reading a TOML settings file into a typed model, with errors that name the file and the key.

The profile, the playbooks and the technical questionnaire all load this way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
Location = Callable[[tuple[int | str, ...]], str]


def dotted(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def read_toml(path: Path, *, what: str = "file") -> dict[str, Any]:
    """The file's data; ValueError naming the file (a `what`) when it is missing, unreadable or not TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: the {what} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None


def validate(path: Path, model: type[Model], data: Any, *, location: Location = dotted) -> Model:
    """`model` from `data`; ValueError with every problem, one line each: `path: key: what is wrong`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            elif error["type"] == "missing":
                message = "missing (required)"
            problems.append(f"{path}: {location(error['loc'])}: {message}")
        raise ValueError("\n".join(problems)) from None
