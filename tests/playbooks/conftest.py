from __future__ import annotations

from tests.smtp_server import smtp_server, smtp_sink  # noqa: F401 - fixtures
