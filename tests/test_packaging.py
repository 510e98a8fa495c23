"""The wheel is what a team installs: it holds every file of the package, and nothing else.

`.ci/wheel-smoke` installs the wheel and uses it; these tests say which file is missing, sooner.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGE = CHECKOUT / "src" / "partnerdesk"


def package_files() -> set[str]:
    """Every file of the package, named as in the wheel (`partnerdesk/...`), bytecode aside."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}
    }


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Iterator[zipfile.ZipFile]:
    """The wheel, built once, by pip, from a copy of the tree as a developer's checkout has it.

    A copy, so the build's folders stay out of the checkout; with a stray bytecode file, as a
    checkout that has run has, which must not ship.
    """
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(CHECKOUT / name, source)
    shutil.copytree(CHECKOUT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    stray = source / "src" / "partnerdesk" / "lib" / "__pycache__" / "stray.cpython-311.pyc"
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"bytecode")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check"]
    built = subprocess.run(
        [*command, "--wheel-dir", str(work / "dist"), str(source)], capture_output=True, text=True
    )
    assert built.returncode == 0, f"pip wheel failed:\n{built.stdout}\n{built.stderr}"
    (path,) = (work / "dist").glob("partnerdesk-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_the_wheel_holds_every_file_of_the_package(wheel):
    missing = package_files() - set(wheel.namelist())
    assert not missing, (
        f"the wheel lacks {sorted(missing)}: an installed partnerdesk would not find them"
        " (see [tool.setuptools.package-data] in pyproject.toml)"
    )


def test_the_wheel_ships_every_kind_of_file_the_code_reads(wheel):
    names = set(wheel.namelist())
    for shipped in (
        "partnerdesk/defaults/partnerdesk.toml",
        "partnerdesk/defaults/drive/Partnerships/Templates/[TEMPLATE] Outbound Services Agreement.docx",
        "partnerdesk/playbooks/defaults/hail-the-lead.toml",
        "partnerdesk/technical/defaults/questionnaire.toml",
        "partnerdesk/technical/defaults/service-request.md",
        "partnerdesk/technical/templates/technical/form.html",
        "partnerdesk/partnership/templates/partnership/check_in.html",
        "partnerdesk/web/templates/partnerdesk/base.html",
        "partnerdesk/web/static/partnerdesk/app.css",
    ):
        assert shipped in names


def test_the_wheel_holds_nothing_but_the_package_and_its_metadata(wheel):
    names = wheel.namelist()
    assert not [name for name, count in Counter(names).items() if count > 1]
    tops = {name.split("/")[0] for name in names}
    assert len(tops) == 2 and "partnerdesk" in tops, tops
    (metadata,) = tops - {"partnerdesk"}
    assert metadata.startswith("partnerdesk-") and metadata.endswith(".dist-info")
    assert sorted({name for name in names if name.startswith("partnerdesk/")} - package_files()) == []


def test_the_wheel_installs_the_partnerdesk_command(wheel):
    (path,) = [name for name in wheel.namelist() if name.endswith(".dist-info/entry_points.txt")]
    entry_points = wheel.read(path).decode()
    assert "partnerdesk = partnerdesk.cli:main" in entry_points
