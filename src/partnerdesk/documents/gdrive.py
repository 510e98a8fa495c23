"""The Google Drive store: the team drive as a Google shared drive, documents as Google Docs.

Folders and documents are found by exact name under the shared drive's root folder (queries
escape `'` and `\\`, and every listing follows `nextPageToken`), so names keep the handbook's
form, `/` included. Each public call is find-or-create, and a transient failure (429, 5xx, a
rate-limit 403, the network) retries the whole call a few times with backoff before it raises
DocumentStoreError(permanent=False), which fails the playbook step; running the same command
resumes it. A copy is made under a working name, its placeholders replaced, and only then given
its real name, so a copy that stopped half-way is finished by the next attempt, never duplicated.
An appended paragraph carries a named range made from its marker in the same batchUpdate.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from partnerdesk.documents.base import DOCX_MIMETYPE, DocumentStoreError, Rename, StoredItem, split_path
from partnerdesk.documents.docx_text import marker_name
from partnerdesk.documents.gdrive_config import DriveConfig, load_credentials, store_error

FOLDER = "application/vnd.google-apps.folder"
GOOGLE_DOC = "application/vnd.google-apps.document"
FILE_FIELDS = "id, name, mimeType, webViewLink"
COPYING = " [partnerdesk: copying]"
ROLES = {"editor": "writer", "viewer": "reader", "writer": "writer", "reader": "reader"}

T = TypeVar("T")


def pause(seconds: float) -> None:
    time.sleep(seconds)


def escape(value: str) -> str:
    """A value for a Drive query string literal."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def utf16_length(text: str) -> int:
    """Docs indexes count UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _retried(method: Callable[..., T]) -> Callable[..., T]:
    """Retry a whole find-or-create call on a transient error, with exponential backoff."""

    @functools.wraps(method)
    def wrapper(self: GoogleDriveStore, *args: Any, **kwargs: Any) -> T:
        for attempt in range(1, self.config.attempts + 1):
            try:
                return method(self, *args, **kwargs)
            except DocumentStoreError as exc:
                if exc.permanent or attempt >= self.config.attempts:
                    raise
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))
        raise AssertionError("unreachable")

    return wrapper


class GoogleDriveStore:
    name = "google-drive"

    def __init__(
        self,
        config: DriveConfig,
        *,
        credentials_factory: Callable[[DriveConfig], Any] = load_credentials,
        sleep: Callable[[float], None] | None = None,
        backoff: float = 1.0,
    ) -> None:
        self.config = config
        self.credentials_factory = credentials_factory
        self.sleep = sleep or (lambda seconds: pause(seconds))
        self.backoff = backoff
        self._clients: tuple[Any, Any] | None = None
        self._root_id: str | None = None

    # The interface.

    @_retried
    def ensure_folder(self, path: str) -> StoredItem:
        return self._walk(split_path(path), create=True, what=f"folder {path!r}")

    @_retried
    def find_document(self, *, folder: StoredItem, name: str) -> StoredItem | None:
        found = self._find(folder.store_id, name, folder=False)
        return None if found is None else self._item(found, folder.path)

    @_retried
    def copy_template(
        self, *, template: str, folder: StoredItem, name: str, replacements: Mapping[str, str]
    ) -> StoredItem:
        if not name:
            raise DocumentStoreError("a document needs a name", permanent=True)
        done = self._find(folder.store_id, name, folder=False)
        if done is not None:
            return self._item(done, folder.path)
        drive, docs = self._services()
        copy = self._find(folder.store_id, name + COPYING, folder=False)
        if copy is None:
            source = self._template(template)
            body = {"name": name + COPYING, "parents": [folder.store_id], "mimeType": GOOGLE_DOC}
            copy = self._call(
                drive.files().copy(
                    fileId=source["id"], body=body, supportsAllDrives=True, fields=FILE_FIELDS
                ),
                f"copy the template {template!r}",
            )
        if copy.get("mimeType") != GOOGLE_DOC:
            raise DocumentStoreError(f"the copy of {template!r} is not a Google Doc", permanent=True)
        requests = [
            {"replaceAllText": {"containsText": {"text": old, "matchCase": True}, "replaceText": new}}
            for old, new in replacements.items()
            if old
        ]
        if requests:
            self._call(
                docs.documents().batchUpdate(documentId=copy["id"], body={"requests": requests}),
                f"replace the placeholders in {name!r}",
            )
        renamed = self._call(
            drive.files().update(
                fileId=copy["id"], body={"name": name}, supportsAllDrives=True, fields=FILE_FIELDS
            ),
            f"rename the copy to {name!r}",
        )
        return self._item(renamed, folder.path)

    @_retried
    def put_document(
        self, *, folder: StoredItem, name: str, content: bytes, suffix: str = ".docx"
    ) -> StoredItem:
        from googleapiclient.http import MediaInMemoryUpload

        if not name:
            raise DocumentStoreError("a document needs a name", permanent=True)
        found = self._find(folder.store_id, name, folder=False)
        if found is not None:
            return self._item(found, folder.path)
        drive, _ = self._services()
        is_docx = suffix == ".docx"
        media = MediaInMemoryUpload(
            content, mimetype=DOCX_MIMETYPE if is_docx else _mimetype(suffix), resumable=False
        )
        body = {"name": name, "parents": [folder.store_id]}
        if is_docx:
            body["mimeType"] = GOOGLE_DOC  # converted, so it reads and appends like a copy
        request = drive.files().create(
            body=body, media_body=media, supportsAllDrives=True, fields=FILE_FIELDS
        )
        if self.config.api_endpoint.startswith("http://"):
            # The client keeps https:// for uploads even with another endpoint (a local server).
            request.uri = "http://" + request.uri.removeprefix("https://")
        return self._item(self._call(request, f"upload {name!r}"), folder.path)

    @_retried
    def append_paragraph(self, document: StoredItem, text: str, *, marker: str | None = None) -> None:
        _, docs = self._services()
        text = " ".join(text.replace("\x0b", " ").split())
        current = self._call(docs.documents().get(documentId=document.store_id), f"read {document.path!r}")
        if marker is not None and marker_name(marker) in (current.get("namedRanges") or {}):
            return
        content = current.get("body", {}).get("content") or [{"endIndex": 1}]
        end = int(content[-1].get("endIndex", 1)) - 1  # before the body's final newline
        requests: list[dict[str, Any]] = [{"insertText": {"location": {"index": end}, "text": "\n" + text}}]
        if marker is not None:
            start = end + 1
            requests.append(
                {
                    "createNamedRange": {
                        "name": marker_name(marker),
                        "range": {"startIndex": start, "endIndex": start + max(utf16_length(text), 1)},
                    }
                }
            )
        body: dict[str, Any] = {"requests": requests}
        if current.get("revisionId"):
            # Applied on top of whatever people typed since the read, at the right place.
            body["writeControl"] = {"targetRevisionId": current["revisionId"]}
        self._call(
            docs.documents().batchUpdate(documentId=document.store_id, body=body),
            f"append to {document.path!r}",
        )

    @_retried
    def read_text(self, document: StoredItem) -> str:
        _, docs = self._services()
        current = self._call(docs.documents().get(documentId=document.store_id), f"read {document.path!r}")
        return "\n".join(_paragraphs(current.get("body", {}).get("content") or []))

    @_retried
    def read_bytes(self, store_id: str) -> bytes:
        drive, _ = self._services()
        what = f"download the document {store_id!r}"
        meta = self._call(
            drive.files().get(fileId=store_id, supportsAllDrives=True, fields=FILE_FIELDS), what
        )
        if meta.get("mimeType") == GOOGLE_DOC:
            return self._call(drive.files().export(fileId=store_id, mimeType=DOCX_MIMETYPE), what)
        return self._call(drive.files().get_media(fileId=store_id, supportsAllDrives=True), what)

    @_retried
    def share(self, document: StoredItem, email: str, role: str, notify: bool, message: str = "") -> bool:
        """Give `email` the role on the document unless they have it; Drive sends the notification
        (with `message`) when `notify`. Returns whether a permission was added."""
        drive, _ = self._services()
        wanted = ROLES.get(role)
        if wanted is None:
            raise DocumentStoreError(f"unknown role {role!r} (use editor or viewer)", permanent=True)
        enough = {"writer", "fileOrganizer", "organizer", "owner"}
        if wanted == "reader":
            enough |= {"reader", "commenter"}
        for permission in self._pages(
            lambda token: drive.permissions().list(
                fileId=document.store_id,
                supportsAllDrives=True,
                pageToken=token,
                fields="nextPageToken, permissions(id, type, emailAddress, role)",
            ),
            "permissions",
            f"read who has {document.path!r}",
        ):
            if (permission.get("emailAddress") or "").lower() == email.lower() and permission.get(
                "role"
            ) in enough:
                return False
        params: dict[str, Any] = {"sendNotificationEmail": notify}
        if notify and message.strip():
            params["emailMessage"] = message.strip()
        self._call(
            drive.permissions().create(
                fileId=document.store_id,
                body={"type": "user", "role": wanted, "emailAddress": email},
                supportsAllDrives=True,
                fields="id",
                **params,
            ),
            f"share {document.path!r} with {email}",
        )
        return True

    @_retried
    def move_folder(
        self, *, source: str, target: str, documents: Sequence[Rename], whole: bool = True
    ) -> dict[str, StoredItem]:
        src, dst = split_path(source), split_path(target)
        if not src or not dst:
            raise DocumentStoreError("moving a folder needs a source and a target folder", permanent=True)
        if src != dst and (dst[: len(src)] == src or src[: len(dst)] == dst):
            raise DocumentStoreError(f"cannot move the folder {source!r} into {target!r}", permanent=True)
        drive, _ = self._services()
        src_chain, dst_chain = self._existing(src), self._existing(dst)
        if src_chain is not None and src != dst:
            folder = src_chain[-1]
            if whole and dst_chain is None:
                # One call: the folder takes its new name (and parent); everything in it follows.
                old_parent = src_chain[-2]["id"] if len(src_chain) > 1 else self._root()
                new_parent = self._walk(dst[:-1], create=True, what=f"folder {target!r}").store_id
                moving = {"addParents": new_parent, "removeParents": old_parent}
                if new_parent == old_parent:
                    moving = {}
                renamed = self._call(
                    drive.files().update(
                        fileId=folder["id"], body={"name": dst[-1]}, supportsAllDrives=True,
                        fields=FILE_FIELDS, **moving,
                    ),
                    f"rename the folder {source!r} to {target!r}",
                )  # fmt: skip
                dst_chain = [renamed]
            else:
                if dst_chain is None:
                    dst_chain = [{"id": self._walk(dst, create=True, what=f"folder {target!r}").store_id}]
                target_id = dst_chain[-1]["id"]
                if whole:
                    self._merge(folder["id"], target_id)
        if dst_chain is None:
            return {}
        target_id, answer = dst_chain[-1]["id"], {}
        for document in documents:
            found = self._get(document.store_id)
            if found is None or found.get("trashed"):
                continue
            parents = found.get("parents") or []
            moving = {"addParents": target_id, "removeParents": ",".join(parents)}
            if target_id in parents:
                moving = {}
            name = self._free_name(target_id, document.new_name, document.store_id)
            if moving or name != found.get("name"):
                found = self._call(
                    drive.files().update(
                        fileId=document.store_id, body={"name": name}, supportsAllDrives=True,
                        fields=FILE_FIELDS, **moving,
                    ),
                    f"move {document.name!r} to {target!r} as {name!r}",
                )  # fmt: skip
            answer[document.store_id] = self._item(found, "/".join(dst))
        return answer

    # For `partnerdesk documents check`.

    def shared_drive_name(self) -> str:
        drive, _ = self._services()
        answer = self._call(
            drive.drives().get(driveId=self.config.shared_drive_id, fields="id, name"), "the shared drive"
        )
        return str(answer.get("name", ""))

    def find_template(self, template: str) -> StoredItem:
        found = self._template(template)
        return self._item(found, "/".join(split_path(template)[:-1]))

    # Drive calls.

    def _services(self) -> tuple[Any, Any]:
        if self._clients is None:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build

            http = google_auth_httplib2.AuthorizedHttp(
                self.credentials_factory(self.config), http=httplib2.Http(timeout=self.config.timeout)
            )
            base = self.config.api_endpoint.rstrip("/")
            drive_options = {"api_endpoint": f"{base}/drive/v3/"} if base else None
            docs_options = {"api_endpoint": f"{base}/"} if base else None
            drive = build("drive", "v3", http=http, cache_discovery=False, client_options=drive_options)
            docs = build("docs", "v1", http=http, cache_discovery=False, client_options=docs_options)
            self._clients = (drive, docs)
        return self._clients

    def _call(self, request: Any, what: str) -> Any:
        import httplib2
        from google.auth.exceptions import GoogleAuthError
        from googleapiclient.errors import HttpError

        try:
            return request.execute()
        except (HttpError, GoogleAuthError, OSError, httplib2.HttpLib2Error) as exc:
            raise store_error(exc, what) from exc

    def _pages(self, make: Callable[[str | None], Any], key: str, what: str) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            answer = self._call(make(token), what)
            yield from answer.get(key) or []
            token = answer.get("nextPageToken")
            if not token:
                return

    def _find(self, parent: str, name: str, *, folder: bool) -> dict[str, Any] | None:
        kind = "=" if folder else "!="
        query = (
            f"name = '{escape(name)}' and mimeType {kind} '{FOLDER}' and '{escape(parent)}' in parents"
            " and trashed = false"
        )
        drive, _ = self._services()
        for found in self._pages(
            lambda token: drive.files().list(
                q=query,
                corpora="drive",
                driveId=self.config.shared_drive_id,
                includeItemsFromAllDrives=True,
                supportsAllDrives=True,
                orderBy="createdTime",
                pageSize=100,
                pageToken=token,
                fields=f"nextPageToken, files({FILE_FIELDS})",
            ),
            "files",
            f"look for {name!r}",
        ):
            if found.get("name") == name:  # only the exact name, whatever Drive matched
                return found
        return None

    def _children(self, parent: str) -> list[dict[str, Any]]:
        drive, _ = self._services()
        query = f"'{escape(parent)}' in parents and trashed = false"
        return list(
            self._pages(
                lambda token: drive.files().list(
                    q=query, corpora="drive", driveId=self.config.shared_drive_id,
                    includeItemsFromAllDrives=True, supportsAllDrives=True, orderBy="createdTime",
                    pageSize=100, pageToken=token, fields=f"nextPageToken, files({FILE_FIELDS})",
                ),
                "files",
                "list a folder",
            )
        )  # fmt: skip

    def _get(self, file_id: str) -> dict[str, Any] | None:
        """The file's name, parents and whether it is trashed; None when Drive has no such file."""
        import httplib2
        from google.auth.exceptions import GoogleAuthError
        from googleapiclient.errors import HttpError

        drive, _ = self._services()
        what = f"look up the file {file_id!r}"
        request = drive.files().get(
            fileId=file_id, supportsAllDrives=True, fields=f"{FILE_FIELDS}, parents, trashed"
        )
        try:
            return request.execute()
        except HttpError as exc:
            if int(exc.resp.status) == 404:
                return None
            raise store_error(exc, what) from exc
        except (GoogleAuthError, OSError, httplib2.HttpLib2Error) as exc:
            raise store_error(exc, what) from exc

    def _existing(self, segments: list[str]) -> list[dict[str, Any]] | None:
        """Each level of the folder path, if all are there; nothing is made."""
        parent, chain = self._root(), []
        for segment in segments:
            found = self._find(parent, segment, folder=True)
            if found is None:
                return None
            chain.append(found)
            parent = found["id"]
        return chain

    def _free_name(self, parent: str, name: str, file_id: str) -> str:
        """`name`, or "name (2)", "name (3)"...: the first no other document in `parent` has."""
        for number in itertools.count(1):
            candidate = name if number == 1 else f"{name} ({number})"
            found = self._find(parent, candidate, folder=False)
            if found is None or found["id"] == file_id:
                return candidate
        raise AssertionError("unreachable")

    def _merge(self, source: str, target: str) -> None:
        """Move everything in the folder `source` into `target`, then put `source` in the trash."""
        drive, _ = self._services()
        for child in self._children(source):
            if child.get("mimeType") == FOLDER:
                same = self._find(target, str(child.get("name", "")), folder=True)
                if same is not None:
                    self._merge(child["id"], same["id"])
                    continue
                name = str(child.get("name", ""))
            else:
                name = self._free_name(target, str(child.get("name", "")), child["id"])
            self._call(
                drive.files().update(
                    fileId=child["id"], body={"name": name}, addParents=target, removeParents=source,
                    supportsAllDrives=True, fields=FILE_FIELDS,
                ),
                f"move {child.get('name')!r}",
            )  # fmt: skip
        if not self._children(source):
            self._call(
                drive.files().update(
                    fileId=source, body={"trashed": True}, supportsAllDrives=True, fields=FILE_FIELDS
                ),
                "put the emptied folder in the trash",
            )

    def _root(self) -> str:
        if self._root_id is None:
            root = self.config.shared_drive_id
            for segment in split_path(self.config.root_folder):
                found = self._find(root, segment, folder=True)
                if found is None:
                    raise DocumentStoreError(
                        f"no root folder {self.config.root_folder!r} in the shared drive", permanent=True
                    )
                root = found["id"]
            self._root_id = root
        return self._root_id

    def _walk(self, segments: list[str], *, create: bool, what: str) -> StoredItem:
        drive, _ = self._services()
        parent, url, done = self._root(), None, list[str]()
        for segment in segments:
            found = self._find(parent, segment, folder=True)
            if found is None:
                if not create:
                    missing = "/".join([*done, segment])
                    raise DocumentStoreError(f"{what}: no folder {missing!r}", permanent=True)
                body = {"name": segment, "mimeType": FOLDER, "parents": [parent]}
                found = self._call(
                    drive.files().create(body=body, supportsAllDrives=True, fields=FILE_FIELDS),
                    f"create the folder {segment!r}",
                )
            parent, url = found["id"], found.get("webViewLink")
            done.append(segment)
        return StoredItem(store_id=parent, name=done[-1] if done else "", path="/".join(done), url=url)

    def _template(self, template: str) -> dict[str, Any]:
        segments = split_path(template)
        missing = DocumentStoreError(f"the template {template!r} is not in the shared drive", permanent=True)
        if not segments:
            raise missing
        try:
            folder = self._walk(segments[:-1], create=False, what=f"the template {template!r}")
        except DocumentStoreError as exc:
            raise (missing if exc.permanent else exc) from exc
        found = self._find(folder.store_id, segments[-1], folder=False)
        if found is None:
            raise missing
        return found

    def _item(self, found: Mapping[str, Any], folder_path: str) -> StoredItem:
        name = str(found.get("name", ""))
        path = f"{folder_path}/{name}" if folder_path else name
        return StoredItem(store_id=str(found["id"]), name=name, path=path, url=found.get("webViewLink"))


def _paragraphs(content: list[dict[str, Any]]) -> Iterator[str]:
    for element in content:
        if "paragraph" in element:
            runs = element["paragraph"].get("elements") or []
            text = "".join(run.get("textRun", {}).get("content", "") for run in runs)
            yield text.removesuffix("\n")
        for row in element.get("table", {}).get("tableRows") or []:
            for cell in row.get("tableCells") or []:
                yield from _paragraphs(cell.get("content") or [])


def _mimetype(suffix: str) -> str:
    import mimetypes

    return mimetypes.types_map.get(suffix.lower(), "application/octet-stream")
