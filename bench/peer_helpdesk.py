"""The peer: django-helpdesk ingesting a folder of .eml files, as its `get_email` command does.

Run by bench/inbound_bench.py with the peer's own interpreter (`make bench-peer` installs
django-helpdesk into .venv-peer), never imported by partnerdesk:

    .venv-peer/bin/python bench/peer_helpdesk.py CORPUS_FOLDER [--repeat 3]

It sets up a throw-away SQLite database with django-helpdesk's models and one queue whose mailbox
is a local folder (`email_box_type = "local"`), copies the corpus into that folder, and times
`helpdesk.email.process_queue`: each message parsed, a ticket opened (or a follow-up added to the
ticket its subject names), its attachments saved, the acknowledgement to the submitter rendered
and handed to Django's in-memory mail backend. Prints one JSON object: the best rate of `--repeat`
runs, each into an empty database, and what the last run made.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import types
from importlib import metadata
from pathlib import Path


def configure(home: Path) -> None:
    from django.conf import settings

    # Its mail templates link to the ticket: its URLs, under their namespace, as a site has them.
    urls = types.ModuleType("peer_urls")
    urls.__dict__["__getattr__"] = _peer_urlpatterns
    sys.modules[urls.__name__] = urls

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        # The same SQLite settings as partnerdesk's own.
        DATABASES={"default": {
            "ENGINE": "django.db.backends.sqlite3", "NAME": str(home / "peer.sqlite3"),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }},
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.sites",
            "django.contrib.humanize",
            "rest_framework",
            "helpdesk",
        ],
        SITE_ID=1,
        MIDDLEWARE=[],
        ROOT_URLCONF="peer_urls",
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DEFAULT_FROM_EMAIL="support@example.com",
        MEDIA_ROOT=str(home / "media"),
        HELPDESK_TEAMS_MODE_ENABLED=False,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        LOGGING_CONFIG=None,
    )  # fmt: skip


def _peer_urlpatterns(name: str):  # noqa: ANN202 - a module __getattr__
    if name != "urlpatterns":
        raise AttributeError(name)
    from django.urls import include, path

    return [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="partnerdesk-peer-"))
    try:
        configure(home)
        import django

        django.setup()
        from django.core import mail
        from django.core.management import call_command
        from helpdesk.email import process_queue
        from helpdesk.models import FollowUp, Queue, Ticket

        call_command("migrate", verbosity=0)
        logger = logging.getLogger("peer")
        logger.disabled = True
        files = sorted(args.corpus.glob("*.eml"))
        times = []
        for _ in range(args.repeat):
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", "emailtemplate", verbosity=0)  # as its migration loads them
            inbox = home / "inbox"
            shutil.rmtree(inbox, ignore_errors=True)
            inbox.mkdir()
            for path in files:
                shutil.copyfile(path, inbox / path.name)
            queue = Queue.objects.create(
                title="Support", slug="support", email_address="support@example.com",
                allow_email_submission=True, email_box_type="local", email_box_local_dir=str(inbox),
            )  # fmt: skip
            start = time.perf_counter()
            process_queue(queue, logger)
            times.append(time.perf_counter() - start)
        left = len(os.listdir(home / "inbox"))
        print(json.dumps({
            "peer": f"django-helpdesk {metadata.version('django-helpdesk')}",
            "messages": len(files), "seconds": min(times), "rate": len(files) / min(times),
            "tickets": Ticket.objects.count(), "followups": FollowUp.objects.count(),
            "mails": len(getattr(mail, "outbox", [])), "left_unprocessed": left,
            "python": sys.version.split()[0],
        }))  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
