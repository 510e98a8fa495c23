"""`partnerdesk documents check` says what is right and exactly what is wrong."""

from __future__ import annotations

import pytest

from partnerdesk.documents.gdrive import load_credentials as real_load_credentials

pytestmark = pytest.mark.django_db


def test_a_good_drive_configuration_passes(cli, on_drive):
    result = cli("documents", "check")
    assert result.code == 0, result.err
    assert "ok: shared drive '2i2c Team Drive' (0ATeamDrive) is reachable" in result.out
    assert "ok: template 'Partnerships/Templates/[Template] Running Notes' found" in result.out
    assert "ok: template 'Partnerships/Templates/[TEMPLATE] Outbound Services Agreement' found" in result.out
    assert "the document store is ready" in result.out


def test_a_wrong_shared_drive_id_is_named(cli, on_drive):
    on_drive.drive_id = "0AOther"
    result = cli("documents", "check")
    assert result.code == 1
    assert "PROBLEM: shared drive 0ATeamDrive:" in result.out
    assert "not found" in result.out


def test_a_missing_template_is_named(cli, on_drive):
    on_drive.find("Partnerships/Templates/[TEMPLATE] Outbound Services Agreement").trashed = True
    result = cli("documents", "check")
    assert result.code == 1
    assert (
        "PROBLEM: the template 'Partnerships/Templates/[TEMPLATE] Outbound Services Agreement' "
        "is not in the shared drive" in result.out
    )
    assert "1 problem(s)" in result.err


def test_refused_credentials_are_reported(cli, on_drive):
    on_drive.token = "another"
    result = cli("documents", "check")
    assert result.code == 1
    assert "PROBLEM: shared drive 0ATeamDrive: Google Drive: the shared drive: Google refused" in result.out
    assert "domain-wide delegation" in result.out


def test_no_key_file_says_where_to_set_one(cli, on_drive, monkeypatch):
    monkeypatch.setattr("partnerdesk.documents.gdrive.load_credentials", real_load_credentials)
    monkeypatch.delenv("GOOGLE_SERVICE_ACCOUNT_KEY_FILE", raising=False)
    result = cli("documents", "check")
    assert result.code == 1
    assert (
        "PROBLEM: no Google service-account key: set [documents.google_drive] key_file "
        "or GOOGLE_SERVICE_ACCOUNT_KEY_FILE" in result.out
    )


def test_the_local_store_has_nothing_remote_to_check(cli):
    result = cli("documents", "check")
    assert result.code == 0
    assert "no service to check" in result.out
