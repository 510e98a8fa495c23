"""The playbooks in force: the shipped defaults, overridden or extended by the team's folder."""

from __future__ import annotations

from pathlib import Path

from partnerdesk.playbooks.specs import DEFAULTS_DIR, PlaybookLibrary, load_library
from partnerdesk.profile import get_profile, profile_path


def team_playbooks_folder() -> Path | None:
    folder = get_profile().playbooks.folder
    if not folder:
        return None
    path = Path(folder).expanduser()
    return path if path.is_absolute() else profile_path().parent / path


def get_library() -> PlaybookLibrary:
    folders = [DEFAULTS_DIR]
    team = team_playbooks_folder()
    if team is not None:
        folders.append(team)
    return load_library(folders)
