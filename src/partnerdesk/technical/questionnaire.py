"""The technical questionnaire (a TOML file, like the playbooks), parsed and checked on load."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from partnerdesk.lib.toml_files import read_toml, validate

DEFAULT_QUESTIONNAIRE = Path(__file__).parent / "defaults" / "questionnaire.toml"


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
    question: Annotated[str, StringConstraints(min_length=1)]
    help: str = ""
    required: bool = False


class Questionnaire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    questions: list[Question] = Field(min_length=1)

    def get(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        known = ", ".join(q.key for q in self.questions)
        raise ValueError(f"no question {key!r} in the questionnaire (known: {known})")


def load_questionnaire(path: Path) -> Questionnaire:
    """Raises ValueError naming the file, the question and the field."""
    questionnaire = validate(path, Questionnaire, read_toml(path))
    keys = [q.key for q in questionnaire.questions]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"{path}: questions: the key(s) {', '.join(duplicates)} appear more than once")
    return questionnaire
