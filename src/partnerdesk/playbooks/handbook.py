"""The handbook's SOPs that are not playbooks: the partner-phase SOPs the partnership ticklers
carry out (partnership/), described beside the code in handbook/*.toml so the rendered handbook
has one source for them too. Their numbers (days, months, schedule) come from the profile."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from partnerdesk.lib.toml_files import read_toml, validate
from partnerdesk.playbooks.specs import HANDBOOK_SOPS, Name, Text, _Strict, check_handbook_template

SECTIONS_DIR = Path(__file__).parent / "handbook"


class HandbookSectionSpec(_Strict):
    name: Name
    title: Text
    phase: Literal["lead", "prospect", "partner"]
    # The handbook's own words for the SOP.
    description: Text
    # How partnerdesk carries it out, and where (the code beside which this file lives).
    implemented_by: Text
    # What partnerdesk does, in order: steps of the automation only (the handbook lists none).
    steps: list[Text] = Field(min_length=1)

    _templates = field_validator("title", "description", "implemented_by", "steps")(check_handbook_template)


def load_sections(folder: Path = SECTIONS_DIR) -> dict[str, HandbookSectionSpec]:
    """Every handbook/*.toml; a malformed one raises ValueError naming the file and the key."""
    sections = {}
    for path in sorted(folder.glob("*.toml")):
        data = read_toml(path)
        spec = validate(path, HandbookSectionSpec, data)
        if spec.name != path.stem or spec.name not in HANDBOOK_SOPS:
            raise ValueError(f"{path}: name: {spec.name!r} must be the file's name and a handbook SOP")
        sections[spec.name] = spec
    return sections
