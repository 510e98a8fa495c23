"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV injection"); pure.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)`, DDE). Such a cell is written with a single
quote in front, which spreadsheets show as text. A plain negative number (`-120.50`) is left as it
is: a spreadsheet reads it as a number, not a formula. Every CSV we write goes through `writer` or
`DictWriter`; `restore` undoes the quote when our own export is imported again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralize(value: Any) -> Any:
    """The cell as it is safe to write: a text starting with a trigger gets a leading `'`."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """A cell read back from a CSV we wrote: the leading `'` that `neutralize` added is dropped."""
    if value.startswith("'") and value[1:].startswith(TRIGGERS):
        return value[1:]
    return value


class _Writer:
    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralize(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **options: Any) -> _Writer:
    """`csv.writer` whose every cell is neutralized."""
    return _Writer(out, **options)


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every cell is neutralized."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: neutralize(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
