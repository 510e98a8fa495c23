"""The scenario .ci/test-deploy runs against the deployment it started: what a team member and a
partner do, over HTTPS through nginx, with the certificate trusted and nothing else.

1. sign in with a link from `partnerdesk login-link`, open the board;
2. Alice mails "Hail the Lead", proven by the receiving host's Authentication-Results, through
   the Postfix pipe into `partnerdesk mailgate`; the canned response reaches the SMTP sink;
3. the engagement's page; its running notes shared (a playbook run from the page); a partner link
   emailed to the contact, who opens it in a browser of their own and sees the notes;
4. the outbox says every message went out, and the sink holds each exactly once (by Message-ID):
   two workers, one copy.

Along the way every HTTPS answer must carry HSTS, every redirect must lead somewhere new and stay
on HTTPS at the public address, and the cookies must be Secure. Standard library only; each wait
is bounded. Exit status 0 when all of it holds, else 1 with one line saying what did not.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import http.client
import http.cookies
import json
import re
import shlex
import ssl
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

HSTS = "max-age=31536000; includeSubDomains; preload"
AUTHSERV_ID = "mx.deploy.test"  # the profile copy's [inbound] authserv_id (.ci/test-deploy)


class ScenarioFailed(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


def ok(message: str) -> None:
    print(f"ok: {message}", flush=True)


@dataclass
class Answer:
    url: str
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Browser:
    """One browser: its own cookies, the test certificate trusted, redirects followed by hand."""

    base: str
    context: ssl.SSLContext
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, url: str, form: dict[str, str] | None = None, referer: str = "") -> Answer:
        url = urllib.parse.urljoin(self.base + "/", url)
        parts = urllib.parse.urlsplit(url)
        check(parts.scheme == "https", f"{method} {url}: not an https address")
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=self.context, timeout=60)
        headers = {"User-Agent": "partnerdesk-deploy-scenario"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base
            headers["Referer"] = referer or url
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        answer = Answer(url, response.status, response.headers, text)
        if answer.status in (301, 302, 307, 308):
            target = urllib.parse.urljoin(url, answer.location)
            check(
                urllib.parse.urlsplit(target)._replace(netloc="") != parts._replace(netloc=""),
                f"{method} {url}: redirected to {target}, itself over https: a redirect loop (the app takes "
                "this https request for http: nginx's X-Forwarded-Proto, PARTNERDESK_BEHIND_PROXY?)",
            )
        check(
            answer.headers.get("Strict-Transport-Security") == HSTS,
            f"{method} {url}: HTTP {answer.status} without the HSTS header "
            f"(Strict-Transport-Security: {answer.headers.get('Strict-Transport-Security')!r})",
        )
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":  # a deletion carries nothing
                    self.cookies.pop(name, None)
                    continue
                check(morsel["secure"], f"{method} {url}: the cookie {name} is not Secure")
                self.cookies[name] = morsel.value
        return answer

    def follow(self, answer: Answer, method: str) -> Answer:
        """Follow the redirects from `answer`: at most 5, each to a new https address of ours."""
        seen = [answer.url]
        while answer.status in (301, 302, 303, 307, 308):
            target = urllib.parse.urljoin(answer.url, answer.location)
            check(
                target.startswith(self.base + "/"),
                f"{method} {seen[0]}: redirected to {target}, not under {self.base}/ (chain: {seen})",
            )
            check(target not in seen, f"{method} {seen[0]}: a redirect loop: {seen + [target]}")
            check(len(seen) <= 5, f"{method} {seen[0]}: more than 5 redirects: {seen}")
            seen.append(target)
            answer = self.request("GET", target)
        return answer

    def get(self, url: str, expect: str, status: int = 200) -> Answer:
        answer = self.follow(self.request("GET", url), "GET")
        check(
            answer.status == status, f"GET {url}: HTTP {answer.status}, not {status}:\n{answer.body[:1500]}"
        )
        check(expect in answer.body, f"GET {url}: the page does not say {expect!r}:\n{answer.body[:1500]}")
        return answer

    def submit(self, page: Answer, action: str, expect: str, extra: dict[str, str] | None = None) -> Answer:
        """POST the form whose action is `action` on `page`, as the browser would: its CSRF token."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        check(token, f"{page.url}: no CSRF token on the page")
        form = {"csrfmiddlewaretoken": token.group(1), **(extra or {})}
        answer = self.follow(self.request("POST", action, form=form, referer=page.url), "POST")
        check(answer.status == 200, f"POST {action}: HTTP {answer.status}:\n{answer.body[:1500]}")
        check(
            expect in answer.body, f"POST {action}: the page does not say {expect!r}:\n{answer.body[:1500]}"
        )
        return answer


# --- The SMTP sink ----------------------------------------------------------------------------------


def sink_messages(folder: Path) -> list[EmailMessage]:
    """What the sink holds: a Maildir (aiosmtpd's Mailbox handler), one file per message."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted([*folder.glob("new/*"), *folder.glob("cur/*")])
    ]


def recipients(message: EmailMessage) -> str:
    return " ".join(str(message.get(name, "")) for name in ("To", "Cc")).lower()


def wait_for_mail(folder: Path, to: str, subject: str, seconds: float = 90) -> EmailMessage:
    deadline = time.monotonic() + seconds
    while True:
        for message in sink_messages(folder):
            if to in recipients(message) and subject in str(message.get("Subject", "")):
                return message
        check(
            time.monotonic() < deadline,
            f"no message to {to} with {subject!r} at the SMTP sink after {seconds}s",
        )
        time.sleep(0.5)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


# --- The scenario -----------------------------------------------------------------------------------


def partnerdesk(binary: str, *args: str) -> str:
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    check(result.returncode == 0, f"partnerdesk {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return result.stdout


def plain_http_redirects_once(base: str, http_port: int) -> None:
    """The site's port-80 server: one redirect to https, whatever the path."""
    host = urllib.parse.urlsplit(base).hostname
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    try:
        connection.request("GET", "/engagements/?x=1", headers={"Host": host})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    location = response.headers.get("Location", "")
    check(
        response.status == 301 and location == f"https://{host}/engagements/?x=1",
        f"plain HTTP answered {response.status} {location!r}, not one redirect to https",
    )


def hail(mailgate: str, message_id: str) -> None:
    """Alice's command, as the receiving host hands it to Postfix's pipe (deploy/postfix/master.cf)."""
    raw = (
        f"Authentication-Results: {AUTHSERV_ID}; spf=pass smtp.mailfrom=2i2c.org;\r\n"
        " dkim=pass header.d=2i2c.org; dmarc=pass (p=quarantine) header.from=2i2c.org\r\n"
        "From: Alice Ng <alice@2i2c.org>\r\n"
        "To: partnerships@2i2c.org\r\n"
        "Subject: Hail the Lead\r\n"
        f"Date: {email.utils.formatdate()}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Please hail Harbor:\r\n\r\n"
        "Partner: Harbor University\r\n"
        "Lee Park <lee@harbor.example.edu>\r\n"
    ).encode()
    # pipe(8) passes no environment of ours: the argv= line names what mailgate needs.
    result = subprocess.run(
        shlex.split(mailgate), input=raw, env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=60
    )
    check(
        result.returncode == 0, f"the Postfix pipe's mailgate exited {result.returncode}: {result.stderr!r}"
    )


def run(args: argparse.Namespace) -> None:
    context = ssl.create_default_context(cafile=args.ca)
    team = Browser(args.base, context)
    sink = Path(args.sink)

    # 1. Sign in, the board.
    link = partnerdesk(args.partnerdesk, "login-link").strip()
    check(
        link.startswith(f"{args.base}/login/token/"),
        f"login-link printed {link!r}, not a link under {args.base}",
    )
    board = team.get(link, "partnerships pipeline")
    check("sessionid" in team.cookies, "signing in with the login link set no session cookie")
    ok(f"signed in with a login link over HTTPS, landing on the board ({board.url})")
    # The loop the issue saw: an https request taken for http and redirected to itself.
    direct = team.request("GET", "/")
    check(direct.status == 200, f"GET / answered {direct.status} {direct.location!r}, not the board")
    plain_http_redirects_once(args.base, args.http_port)
    ok("no redirect loop: / answers 200 over HTTPS, plain HTTP redirects once to https; HSTS everywhere")
    css = team.request("GET", "/static/partnerdesk/app.css")
    check(
        css.status == 200 and "text/css" in css.headers.get("Content-Type", ""), f"app.css: HTTP {css.status}"
    )
    check(
        css.headers.get("Cache-Control") == "max-age=3600",
        f"app.css has Cache-Control {css.headers.get('Cache-Control')!r}: not from nginx's /static/",
    )
    ok("static files served by nginx")

    # 2. A proven team command by mail, through the MTA's pipe.
    hail(args.mailgate, f"<hail-{time.time_ns()}@mail.2i2c.org>")
    canned = wait_for_mail(sink, "lee@harbor.example.edu", "Thank you for your interest in")
    check(
        "partnerships@2i2c.org" in str(canned.get("Cc", "")),
        "the canned response is not cc the shared mailbox",
    )
    answer = wait_for_mail(sink, "alice@2i2c.org", "Hail the Lead")
    ok(f"the hail by mail acted: the canned response, and Alice's answer {answer['Subject']!r}, were sent")

    # 3. The engagement, its notes shared, a partner link sent and opened.
    board = team.get("/", "Harbor University")
    references = sorted(set(re.findall(r'href="/engagements/([A-Z]+-\d+)/"', board.body)))
    check(
        len(references) == 1,
        f"the board shows {references}, not one engagement: the hail was acted on twice?",
    )
    reference = references[0]
    page = team.get(f"/engagements/{reference}/", "Harbor University")
    ok(f"the engagement page {page.url}")
    preview = team.get(f"/engagements/{reference}/playbooks/create-running-notes/", "Running notes")
    # Run queues the playbook for the workers and opens its run page, which follows it to the end.
    run = team.submit(preview, f"/engagements/{reference}/playbooks/create-running-notes/run/", "Queued")
    check(f"/engagements/{reference}/runs/" in run.url, f"Run opened {run.url}, not the run's own page")
    deadline = time.monotonic() + 90
    while "<strong>Done</strong>" not in run.body:
        check("<strong>Stopped</strong>" not in run.body, f"the run stopped:\n{run.body[:3000]}")
        check(time.monotonic() < deadline, f"the run is not done after 90s:\n{run.body[:3000]}")
        time.sleep(1)
        run = team.get(run.url, f"for {reference}")
    ok(f"the running notes made by a worker, followed on the run page {run.url}")
    page = team.get(f"/engagements/{reference}/", "Harbor University")
    send = re.search(
        r'action="(/engagements/[^"]+/partner-link/)">.{0,200}?Email Lee Park a new link', page.body
    )
    check(send, f"the engagement page offers no partner link for Lee Park:\n{page.body[:3000]}")
    team.submit(page, send.group(1), "A new link to the shared documents is queued for")
    mail = wait_for_mail(sink, "lee@harbor.example.edu", "Your link to the shared documents")
    links = re.findall(r"https://\S+/p/docs/[\w-]+/", text_of(mail))
    check(len(links) == 1 and links[0].startswith(args.base + "/"), f"the partner link mail links to {links}")
    partner = Browser(args.base, context)  # Lee's own browser
    opened = partner.get(links[0], "csrfmiddlewaretoken")
    shared = partner.submit(opened, links[0], "Running notes")
    check("/shared/" in shared.url, f"opening the partner link ended at {shared.url}")
    ok(f"the running notes shared, a partner link emailed to Lee and opened by Lee ({shared.url})")

    # 4. Everything sent, and each message once.
    deadline = time.monotonic() + 60
    while True:
        rows = json.loads(partnerdesk(args.partnerdesk, "outbox", "list", "--json"))
        if all(row["status"] == "sent" for row in rows):
            break
        waiting = [(row["id"], row["status"], row["last_error"]) for row in rows if row["status"] != "sent"]
        check(time.monotonic() < deadline, f"outbox messages not sent after 60s: {waiting}")
        time.sleep(1)
    # A worker that sent a message twice would have done it by now: give both workers a few passes.
    time.sleep(12)
    received = [str(message.get("Message-ID", "")).strip() for message in sink_messages(sink)]
    twice = sorted({mid for mid in received if received.count(mid) > 1})
    check(not twice, f"sent more than once (the same Message-ID at the sink): {twice}")
    sent = {row["message_id"].strip() for row in rows}
    check(set(received) == sent, f"the sink holds {sorted(received)}; the outbox sent {sorted(sent)}")
    check(not any(row.get("possible_duplicates") for row in rows), "the outbox counts possible duplicates")
    ok(f"{len(rows)} messages sent, each exactly once at the SMTP sink")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="https://HOST:PORT, as PARTNERDESK_BASE_URL")
    parser.add_argument("--http-port", type=int, required=True, help="nginx's plain HTTP port on 127.0.0.1")
    parser.add_argument("--ca", required=True, help="the self-signed certificate to trust")
    parser.add_argument("--sink", required=True, help="the SMTP sink's Maildir")
    parser.add_argument("--partnerdesk", required=True, help="the installed partnerdesk script")
    parser.add_argument("--mailgate", required=True, help="the argv= of the Postfix pipe")
    parser.add_argument("--logs", required=True, help="the processes' logs (named in a failure)")
    args = parser.parse_args()
    try:
        run(args)
    except ScenarioFailed as exc:
        print(f"deploy-scenario: {exc}\n(the processes' logs are in {args.logs})", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
