"""GitHub's REST API for the hand-off: open one issue in the engineering repository."""

from __future__ import annotations

from typing import Any

from partnerdesk.lib.env import env_secret
from partnerdesk.lib.http import HttpError, request_json


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = env_secret("GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def issue_find(*, api_url: str, repository: str, marker: str) -> str | None:
    """The URL of an issue whose title carries `marker` (a previous attempt's), if there is one."""
    answer = request_json(
        "GET", f"{api_url.rstrip('/')}/repos/{repository}/issues?state=all&per_page=100", headers=_headers()
    )
    issues: list[dict[str, Any]] = answer.data or []
    for issue in issues:
        if marker in str(issue.get("title", "")):
            return str(issue.get("html_url") or issue.get("url"))
    return None


def issue_open(*, api_url: str, repository: str, title: str, body: str) -> str:
    """`POST /repos/{owner}/{repo}/issues`; returns the new issue's web address."""
    answer = request_json(
        "POST",
        f"{api_url.rstrip('/')}/repos/{repository}/issues",
        body={"title": title, "body": body},
        headers=_headers(),
    )
    url = (answer.data or {}).get("html_url")
    if not url:
        raise HttpError(
            "GitHub answered without the new issue's html_url", status=answer.status, permanent=True
        )
    return str(url)
