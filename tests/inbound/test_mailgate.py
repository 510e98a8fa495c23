"""mailgate: stores the message or makes the MTA retry; the worker does the rest, exactly once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from partnerdesk.inbound.models import InboundMessage
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.pipeline.models import Engagement
from tests.inbound.conftest import eml, mailgate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mailbox_checks_senders")]


def test_a_command_piped_into_mailgate_ends_with_the_canned_response_and_the_answer_at_the_smtp_server(
    cli, smtp_server, data_folder
):
    piped = mailgate(eml("command_hail_the_lead.eml"))
    assert (piped.returncode, piped.stdout, piped.stderr) == (0, b"", b"")
    assert len(list((data_folder / "spool").glob("*.eml"))) == 1

    assert cli("worker", "--once").code == 0

    engagement = Engagement.objects.get()
    reference = engagement.reference
    delivered = {r.message["To"]: r.message for r in smtp_server.handler.delivered}
    canned = delivered["lee@harbor.example.edu, jane@harbor.example.edu"]
    assert canned["Subject"] == f"[{reference}] Thank you for your interest in 2i2c"
    assert canned["Cc"] == "partnerships@2i2c.org"
    answer = delivered["alice@2i2c.org"]
    assert answer["Subject"] == f"[{reference}] Re: Hail the Lead"
    assert answer["In-Reply-To"] == "<hail-1@mail.2i2c.org>"
    assert answer["References"] == "<hail-1@mail.2i2c.org>"
    assert answer["Auto-Submitted"] == "auto-replied"
    done = answer.get_body(preferencelist=("plain",)).get_content()  # text/plain, alone or beside HTML
    assert f"Done: Hail the Lead for Harbor University ({reference})" in done
    assert list((data_folder / "spool").glob("*.eml")) == []

    assert mailgate(eml("command_hail_the_lead.eml")).returncode == 0  # the MTA delivers it again
    assert cli("worker", "--once").code == 0
    assert InboundMessage.objects.count() == 1
    assert len(smtp_server.handler.delivered) == 2


def test_mailgate_exits_75_when_the_data_folder_is_unusable_and_the_retry_is_processed_once(
    cli, data_folder, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    failed = mailgate(eml("command_hail_the_lead.eml"), home=blocked)
    assert failed.returncode == 75
    assert failed.stderr.startswith(b"partnerdesk mailgate: cannot store the message")
    assert b"Traceback" not in failed.stderr

    (data_folder / "spool").mkdir()
    (data_folder / "spool").chmod(0o500)
    if os.access(data_folder / "spool", os.W_OK):  # root writes anywhere: block it another way
        (data_folder / "spool").chmod(0o700)
        (data_folder / "spool").rmdir()
        (data_folder / "spool").write_text("")
    assert mailgate(eml("command_hail_the_lead.eml")).returncode == 75
    if (data_folder / "spool").is_file():
        (data_folder / "spool").unlink()
    else:
        (data_folder / "spool").chmod(0o700)

    assert mailgate(eml("command_hail_the_lead.eml")).returncode == 0  # storage is back: the MTA retries
    assert mailgate(eml("command_hail_the_lead.eml")).returncode == 0  # and once more, for good measure
    assert cli("worker", "--once").code == 0
    assert InboundMessage.objects.get().status == InboundMessage.Status.PROCESSED
    assert OutboxMessage.objects.filter(to=["alice@2i2c.org"]).count() == 1
    assert Engagement.objects.count() == 1


def test_mailgate_stores_an_empty_input_as_nothing_and_still_exits_0(data_folder):
    piped = mailgate(b"")
    assert piped.returncode == 0
    assert not (data_folder / "spool").exists() or not list((data_folder / "spool").iterdir())


def test_mailgate_spools_without_starting_django_so_each_message_costs_only_a_python_start_up(data_folder):
    # Booting Django costs ~0.2 s a message; the speed itself is measured by bench/mailgate_bench.py.
    code = (
        "import atexit, sys; "
        "atexit.register(lambda: sys.stderr.write('django loaded: %s' % ('django' in sys.modules))); "
        "from partnerdesk.cli import main; main(['partnerdesk', 'mailgate'])"
    )
    piped = subprocess.run(
        [sys.executable, "-c", code],
        input=eml("command_forwarded_inquiry.eml"),
        capture_output=True,
        env={**os.environ, "PARTNERDESK_HOME": str(data_folder)},
        timeout=30,
    )
    assert piped.returncode == 0
    assert piped.stderr.decode().endswith("django loaded: False")
    assert len(list((data_folder / "spool").glob("*.eml"))) == 1
