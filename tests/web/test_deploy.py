"""`partnerdesk check --deploy` with the production settings the README documents."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

PRODUCTION = {
    "PARTNERDESK_SECRET_KEY": secrets.token_urlsafe(50),  # long and random, as check wants
    "PARTNERDESK_DEBUG": "0",
    "PARTNERDESK_ALLOWED_HOSTS": "desk.example.org",
    "PARTNERDESK_CSRF_TRUSTED_ORIGINS": "https://desk.example.org",
    "PARTNERDESK_BASE_URL": "https://desk.example.org",
    "PARTNERDESK_SECURE_COOKIES": "1",
    "PARTNERDESK_HSTS_SECONDS": "31536000",
    "PARTNERDESK_HSTS_INCLUDE_SUBDOMAINS": "1",
    "PARTNERDESK_HSTS_PRELOAD": "1",
    "PARTNERDESK_SSL_REDIRECT": "1",
    "PARTNERDESK_BEHIND_PROXY": "1",
}


def test_check_deploy_finds_nothing_with_the_production_settings(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARTNERDESK_")}
    env |= PRODUCTION | {"PARTNERDESK_HOME": str(tmp_path / "home")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = Path(sys.executable).with_name("partnerdesk")
    result = subprocess.run(
        [str(script), "check", "--deploy", "--fail-level", "ERROR"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    found = set(re.findall(r"\((\w+\.[WE]\d+)\)", output))
    assert found == set(), output
