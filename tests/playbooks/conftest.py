from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def data_folder(settings, tmp_path):
    """Each test gets its own data folder: its own drive and outbox files."""
    settings.PARTNERDESK_HOME = tmp_path / "home"
    settings.PARTNERDESK_HOME.mkdir()
    return settings.PARTNERDESK_HOME


from tests.smtp_server import smtp_server, smtp_sink  # noqa: E402, F401 - fixtures
