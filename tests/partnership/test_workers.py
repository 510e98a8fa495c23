"""Two `partnerdesk worker --once` processes on one database fire each due reminder exactly once,
and settle the backlog once: the latest item of each kind goes out, the older ones are missed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.mail.test_workers import worker_env  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)

SEED = """
import datetime as dt, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from partnerdesk.partnership.ticklers import ticklers_plan
from tests.partnership.conftest import make_partner
today = dt.date.today()
owner = get_user_model().objects.create_user("alice", email="alice@2i2c.org")
for number in range(int(sys.argv[1])):
    make_partner(
        organization=f"Partner {number}",
        contacts=[(f"Lee {number}", f"lee{number}@partner{number}.example.org")],
        term_start=today - dt.timedelta(days=3 * 365),
        term_end=today + dt.timedelta(days=100),
        value=None,
        owner=owner,
    )
print(ticklers_plan())
"""

COUNT = """
import collections, json
import django
django.setup()
from partnerdesk.mail.models import OutboxMessage
from partnerdesk.partnership.models import Renewal, Tickler
keys = collections.Counter(OutboxMessage.objects.values_list("idempotency_key", flat=True))
print(json.dumps({
    "due": Tickler.objects.filter(due_on__lte=__import__("datetime").date.today()).count(),
    "fired": Tickler.objects.filter(fired_at__isnull=False).count(),
    "missed": Tickler.objects.filter(status="missed").count(),
    "fired_by_kind": collections.Counter(
        Tickler.objects.filter(status="fired").values_list("kind", flat=True)
    ),
    "missed_notes": OutboxMessage.objects.filter(subject__contains="missed partner-phase").count(),
    "errors": list(Tickler.objects.exclude(last_error="").values_list("last_error", flat=True)),
    "messages": sum(keys.values()),
    "repeated": [key for key, count in keys.items() if count > 1],
    "renewals": Renewal.objects.count(),
}))
"""


def _python(env, script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_workers_fire_each_due_reminder_exactly_once(worker_env):  # noqa: F811
    _python(worker_env, SEED, "6")
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "partnerdesk.cli", "worker", "--once"],
            env=worker_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    counts = json.loads(_python(worker_env, COUNT))
    assert counts["errors"] == []
    # About 3 years of quarterly check-ins and the 120-day renewal reminder, for each of 6 partners:
    # the latest check-in and the reminder go out, the older check-ins are missed, each once.
    assert counts["due"] == counts["fired"] + counts["missed"] and counts["missed"] >= 6 * 10
    assert counts["fired_by_kind"] == {"check_in": 6, "renewal": 6}
    assert counts["missed_notes"] == 6
    handled = sum(int(out.split()[1]) for out, _ in outputs)
    assert handled >= counts["fired"]
    assert counts["repeated"] == []
    assert counts["renewals"] == 6
