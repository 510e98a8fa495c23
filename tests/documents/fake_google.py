"""A local Google Drive v3 / Docs v1 server: the calls the Drive store makes, in their documented JSON.

It holds one shared drive. Files are folders, Google Docs (a list of paragraphs and the named
ranges over them) or uploaded blobs. Lists page by `page_size`, queries are parsed in the form
the store sends, shared-drive items need `supportsAllDrives=true` (Drive answers 404 without
it), and `fail()` makes the next matching calls answer an error in Google's
`{"error": {"code", "message", "errors"}}` form.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

import docx

from tests.fake_http import LoopbackFake

FOLDER = "application/vnd.google-apps.folder"
GOOGLE_DOC = "application/vnd.google-apps.document"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_LITERAL = r"'((?:[^'\\]|\\.)*)'"
_QUERY = re.compile(
    rf"^name = {_LITERAL} and mimeType (=|!=) {_LITERAL} and {_LITERAL} in parents and trashed = false$"
)
_CHILDREN = re.compile(rf"^{_LITERAL} in parents and trashed = false$")


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeError(Exception):
    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.reason = reason or {400: "badRequest", 401: "authError", 403: "forbidden", 404: "notFound"}.get(
            status, "backendError"
        )


@dataclass
class Failure:
    status: int
    times: int
    match: str
    reason: str


@dataclass
class FakeFile:
    id: str
    name: str
    mime_type: str
    parent: str
    paragraphs: list[str] = field(default_factory=list)
    named_ranges: dict[str, dict[str, Any]] = field(default_factory=dict)
    revision: int = 1
    content: bytes = b""
    permissions: list[dict[str, Any]] = field(default_factory=list)
    trashed: bool = False

    def meta(self) -> dict[str, Any]:
        kind = "drive/folders" if self.mime_type == FOLDER else "document/d"
        link = f"https://{'drive' if self.mime_type == FOLDER else 'docs'}.google.com/{kind}/{self.id}/edit"
        return {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "webViewLink": link,
            "parents": [self.parent],
            "trashed": self.trashed,
        }

    def text(self) -> str:
        return "".join(paragraph + "\n" for paragraph in self.paragraphs)


class FakeGoogle(LoopbackFake):
    fake_name = "google"

    def __init__(
        self, *, drive_id: str = "0ATeamDrive", drive_name: str = "2i2c Team Drive", page_size: int = 2
    ):
        self.drive_id, self.drive_name, self.page_size = drive_id, drive_name, page_size
        self.files: dict[str, FakeFile] = {}
        self.failures: list[Failure] = []
        self.calls: list[str] = []  # "METHOD /path" of every request, in order
        self.notifications: list[dict[str, Any]] = []  # the emails Drive would send on a share
        self.token = "fake"
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # Setting up and looking.

    def add(
        self,
        name: str,
        parent: str | None = None,
        *,
        mime_type: str = FOLDER,
        paragraphs: list[str] | None = None,
    ) -> str:
        file = FakeFile(
            f"f{next(self._ids)}", name, mime_type, parent or self.drive_id, list(paragraphs or [""])
        )
        self.files[file.id] = file
        return file.id

    def add_path(self, path: str) -> str:
        parent = self.drive_id
        for name in path.split("/"):
            found = [f for f in self.children(parent) if f.name == name and f.mime_type == FOLDER]
            parent = found[0].id if found else self.add(name, parent)
        return parent

    def children(self, parent: str) -> list[FakeFile]:
        return [f for f in self.files.values() if f.parent == parent and not f.trashed]

    def find(self, path: str) -> FakeFile | None:
        parent, found = self.drive_id, None
        for name in path.split("/"):
            matches = [f for f in self.children(parent) if f.name == name]
            if not matches:
                return None
            found = matches[0]
            parent = found.id
        return found

    def fail(self, status: int, *, times: int = 1, match: str = "", reason: str = "") -> None:
        """The next `times` requests whose "METHOD /path" contains `match` answer `status`."""
        self.failures.append(Failure(status, times, match, reason))

    # Drive.

    def _file(self, file_id: str, params: dict[str, str]) -> FakeFile:
        file = self.files.get(file_id)
        if file is None or params.get("supportsAllDrives") != "true":
            raise FakeError(404, f"File not found: {file_id}.")
        return file

    def list_files(self, params: dict[str, str]) -> dict[str, Any]:
        if (params.get("corpora"), params.get("driveId")) != ("drive", self.drive_id) or not all(
            params.get(flag) == "true" for flag in ("includeItemsFromAllDrives", "supportsAllDrives")
        ):
            raise FakeError(
                400, "A shared drive listing needs corpora=drive, driveId and the all-drives flags."
            )
        children = _CHILDREN.match(params.get("q", ""))
        match = _QUERY.match(params.get("q", ""))
        if children is not None:
            found = [f.meta() for f in self.children(_unescape(children.group(1)))]
        elif match is None:
            raise FakeError(400, f"Invalid Value: q={params.get('q')!r}", "invalid")
        else:
            name, op, mime, parent = (_unescape(group) for group in match.groups())
            found = [
                f.meta()
                for f in self.children(parent)
                # Matched without case, as generously as Drive may: the store keeps only the exact name.
                if f.name.casefold() == name.casefold() and ((f.mime_type == mime) == (op == "="))
            ]
        start = int(params.get("pageToken") or 0)
        size = min(int(params.get("pageSize", 100)), self.page_size)
        answer: dict[str, Any] = {"kind": "drive#fileList", "files": found[start : start + size]}
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        return answer

    def create_file(
        self, body: dict[str, Any], params: dict[str, str], content: bytes | None = None
    ) -> dict[str, Any]:
        parent = (body.get("parents") or [self.drive_id])[0]
        if parent != self.drive_id:
            self._file(parent, params)
        mime = body.get("mimeType", "application/octet-stream")
        paragraphs: list[str] = []
        if mime == GOOGLE_DOC and content is not None:
            paragraphs = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs] or [""]
        file_id = self.add(body["name"], parent, mime_type=mime, paragraphs=paragraphs)
        self.files[file_id].content = content or b""
        return self.files[file_id].meta()

    def copy_file(self, file_id: str, body: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        source = self._file(file_id, params)
        copy = self.create_file({"mimeType": source.mime_type, **body}, params)
        self.files[copy["id"]].paragraphs = list(source.paragraphs)
        return copy

    def share(self, file_id: str, body: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        file = self._file(file_id, params)
        permission = {
            "kind": "drive#permission",
            "id": f"p{next(self._ids)}",
            "type": body["type"],
            "role": body["role"],
            "emailAddress": body["emailAddress"],
        }
        file.permissions.append(permission)
        if params.get("sendNotificationEmail", "true") == "true":
            self.notifications.append(
                {"to": body["emailAddress"], "file": file.name, "message": params.get("emailMessage", "")}
            )
        return {"kind": "drive#permission", "id": permission["id"]}

    # Docs.

    def document(self, doc_id: str) -> dict[str, Any]:
        file = self.files.get(doc_id)
        if file is None or file.mime_type != GOOGLE_DOC:
            raise FakeError(404, "Requested entity was not found.", "notFound")
        content: list[dict[str, Any]] = [{"endIndex": 1, "sectionBreak": {}}]
        index = 1
        for paragraph in file.paragraphs:
            end = index + _u16(paragraph) + 1
            run = {"startIndex": index, "endIndex": end, "textRun": {"content": paragraph + "\n"}}
            content.append({"startIndex": index, "endIndex": end, "paragraph": {"elements": [run]}})
            index = end
        ranges = {
            name: {
                "name": name,
                "namedRanges": [{"namedRangeId": value["id"], "name": name, "ranges": [value["range"]]}],
            }
            for name, value in file.named_ranges.items()
        }
        return {
            "documentId": doc_id,
            "title": file.name,
            "revisionId": f"rev{file.revision}",
            "body": {"content": content},
            "namedRanges": ranges,
        }

    def batch_update(self, doc_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.document(doc_id)
        file = self.files[doc_id]
        text, ranges, replies = file.text(), dict(file.named_ranges), []
        for request in body.get("requests", []):
            if "replaceAllText" in request:
                spec = request["replaceAllText"]
                old = spec["containsText"]["text"]
                flags = 0 if spec["containsText"].get("matchCase") else re.IGNORECASE
                new = spec.get("replaceText", "")
                text, count = re.subn(re.escape(old), lambda _, new=new: new, text, flags=flags)
                replies.append({"replaceAllText": {"occurrencesChanged": count} if count else {}})
            elif "insertText" in request:
                spec = request["insertText"]
                encoded = text.encode("utf-16-le")
                if "endOfSegmentLocation" in spec:
                    index = _u16(text)
                else:
                    index = spec["location"]["index"]
                    if not 1 <= index <= _u16(text):
                        raise FakeError(400, f"Index {index} must be less than the end index.")
                position = (index - 1) * 2 if "location" in spec else len(encoded) - 2
                text = (encoded[:position] + spec["text"].encode("utf-16-le") + encoded[position:]).decode(
                    "utf-16-le"
                )
                replies.append({})
            elif "createNamedRange" in request:
                spec = request["createNamedRange"]
                range_id = f"kix.{next(self._ids)}"
                ranges[spec["name"]] = {"id": range_id, "range": spec["range"]}
                replies.append({"createNamedRange": {"namedRangeId": range_id}})
            else:
                raise FakeError(400, f"unsupported request {sorted(request)}")
        file.paragraphs = text.removesuffix("\n").split("\n")
        file.named_ranges = ranges
        file.revision += 1
        return {
            "documentId": doc_id,
            "replies": replies,
            "writeControl": {"requiredRevisionId": f"rev{file.revision}"},
        }

    def export_docx(self, file_id: str) -> bytes:
        document = docx.Document()
        for paragraph in self.files[file_id].paragraphs:
            document.add_paragraph(paragraph)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    # Routing.

    def handle(
        self, method: str, path: str, params: dict[str, str], body: bytes, headers: Any
    ) -> tuple[int, Any]:
        route = f"{method} {path}"
        with self._lock:
            self.calls.append(route)
            for failure in self.failures:
                if failure.times > 0 and failure.match in route:
                    failure.times -= 1
                    raise FakeError(failure.status, f"injected {failure.status}", failure.reason)
            if headers.get("Authorization") != f"Bearer {self.token}":
                raise FakeError(401, "Request had invalid authentication credentials.", "authError")
            data = (
                json.loads(body)
                if body and headers.get("Content-Type", "").startswith("application/json")
                else {}
            )
            parts = path.strip("/").split("/")
            if parts[:2] == ["drive", "v3"]:
                return 200, self._drive(method, parts[2:], params, data, body, headers)
            if path.startswith("/upload/drive/v3/files") and method == "POST":
                meta, content = _multipart(body, headers.get("Content-Type", ""))
                return 200, self.create_file(meta, params, content)
            if parts[:2] == ["v1", "documents"] and len(parts) == 3:
                if method == "GET":
                    return 200, self.document(parts[2])
                if method == "POST" and parts[2].endswith(":batchUpdate"):
                    return 200, self.batch_update(parts[2].removesuffix(":batchUpdate"), data)
            raise FakeError(404, f"no route {route}")

    def _drive(
        self, method: str, parts: list[str], params: dict[str, str], data: Any, body: bytes, headers: Any
    ) -> Any:
        match method, parts:
            case "GET", ["drives", drive_id]:
                if drive_id != self.drive_id:
                    raise FakeError(404, f"Shared drive not found: {drive_id}", "notFound")
                return {"kind": "drive#drive", "id": drive_id, "name": self.drive_name}
            case "GET", ["files"]:
                return self.list_files(params)
            case "POST", ["files"]:
                return self.create_file(data, params)
            case "GET", ["files", file_id]:
                file = self._file(file_id, params)
                return file.content if params.get("alt") == "media" else file.meta()
            case "PATCH", ["files", file_id]:
                file = self._file(file_id, params)
                file.name = data.get("name", file.name)
                file.trashed = bool(data.get("trashed", file.trashed))
                if "addParents" in params:
                    # Shared-drive items have exactly one parent: a move names the old one to remove.
                    if params.get("removeParents") != file.parent:
                        raise FakeError(400, "A shared drive item must have exactly one parent.")
                    self._file(params["addParents"], params)
                    file.parent = params["addParents"]
                return file.meta()
            case "POST", ["files", file_id, "copy"]:
                return self.copy_file(file_id, data, params)
            case "GET", ["files", file_id, "export"]:
                self.files.get(file_id) or _raise(FakeError(404, f"File not found: {file_id}."))
                return self.export_docx(file_id)
            case "GET", ["files", file_id, "permissions"]:
                return {
                    "kind": "drive#permissionList",
                    "permissions": self._file(file_id, params).permissions,
                }
            case "POST", ["files", file_id, "permissions"]:
                return self.share(file_id, data, params)
        raise FakeError(404, f"no route {method} /drive/v3/{'/'.join(parts)}")


def _raise(error: Exception) -> Any:
    raise error


def _multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], bytes]:
    """The metadata and the media of a `uploadType=multipart` request (multipart/related)."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    assert boundary is not None, content_type
    parts = body.split(b"--" + boundary.group(1).encode())[1:3]
    contents = []
    for part in parts:
        part = part.removeprefix(b"\r\n").removeprefix(b"\n")
        separator = b"\r\n\r\n" if b"\r\n\r\n" in part.split(b"\n\n", 1)[0] + b"\n\n" else b"\n\n"
        contents.append(part.split(separator, 1)[1].removesuffix(b"\n").removesuffix(b"\r"))
    return json.loads(contents[0]), contents[1]


class _Handler(BaseHTTPRequestHandler):
    google: FakeGoogle

    def _answer(self) -> None:
        parsed = urlparse(self.path)
        params = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status, answer = self.google.handle(self.command, parsed.path, params, body, self.headers)
        except FakeError as error:
            status = error.status
            answer = {
                "error": {
                    "code": status,
                    "message": error.message,
                    "status": "ERROR",
                    "errors": [{"domain": "global", "reason": error.reason, "message": error.message}],
                }
            }
        raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "application/octet-stream" if isinstance(answer, bytes) else "application/json"
        )
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


FakeGoogle.handler = _Handler
