"""Spreadsheet output that is safe to open and streams: formula neutralisation and a streamed XLSX writer.

Formula injection (OWASP "CSV Injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is read by Excel/LibreOffice as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). Every text
value that comes from people (organisation names, titles, names, reasons) goes through ``neutralise()``, which puts a
single quote in front — the spreadsheet convention for "this is text"; the value stays readable. Numbers, dates and
amounts are never passed through it: they stay typed numbers (a negative amount is a number, not a formula).

XLSX: ``xlsx_stream()`` writes the workbook as a ZIP *while* the rows are read (zipfile on an unseekable sink with
data descriptors), so the first bytes leave after the static parts, before the database is asked for a row, and
memory stays flat for any number of rows. openpyxl's write-only mode keeps memory flat as well, but must finish the
whole file before the first byte (15 s for 100,000 applications). Strings are written as inline strings
(``t="inlineStr"``): a cell of this writer can never be a formula, whatever its text.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from wir_portal.cells import FORMULA_START, neutralise  # noqa: F401 - the one rule, re-exported for exports.py

# Characters XML 1.0 cannot carry (openpyxl refuses them as IllegalCharacterError): dropped from cell texts.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class SheetColumn:
    header: str
    style: str = "text"  # text | money | int | datetime
    width: float = 28


# Cell styles in styles.xml (index into cellXfs).
_STYLE_IDS = {"text": 0, "header": 1, "money": 2, "datetime": 3, "int": 0}
_EPOCH = datetime.datetime(1899, 12, 30)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/>'
    '<numFmt numFmtId="165" formatCode="DD.MM.YYYY HH:MM"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    text = escape(_ILLEGAL_XML.sub("", text))
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _cell(ref: str, value, style: str) -> str:
    """One cell: numbers as numbers, datetimes as Excel serials with a date format, everything else as text."""
    if value is None:  # an empty cell, written: readers that pad rows by the cells they see get full rows
        return f'<c r="{ref}"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, Decimal, float)):
        s = ' s="2"' if style == "money" else ""
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, datetime.datetime):
        serial = (value.replace(tzinfo=None) - _EPOCH) / datetime.timedelta(days=1)
        return f'<c r="{ref}" s="3"><v>{serial:.10f}</v></c>'
    if isinstance(value, datetime.date):
        serial = (value - _EPOCH.date()).days
        return f'<c r="{ref}" s="3"><v>{serial}</v></c>'
    return _text_cell(ref, neutralise(str(value)))


class _Sink:
    """An unseekable file for zipfile: collects what it writes until the generator hands it on."""

    def __init__(self):
        self.buffer = bytearray()

    def write(self, data) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def xlsx_stream(*, title: str, columns: list[SheetColumn], rows: Iterable[Iterable],
                chunk_bytes: int = 64 * 1024) -> Iterator[bytes]:
    """Yield an .xlsx file in pieces while ``rows`` is read (one row at a time, never all of them)."""
    sink = _Sink()
    zf = zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=5)
    sheet_name = escape(re.sub(r"[\[\]:*?/\\]", " ", title)[:31], {'"': "&quot;"})
    zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
    zf.writestr("_rels/.rels", _ROOT_RELS)
    zf.writestr("xl/workbook.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
    zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
    zf.writestr("xl/styles.xml", _STYLES)
    yield sink.take()  # the first bytes: before the first row is read

    letters = [_column_letter(i) for i in range(len(columns))]
    styles = [c.style for c in columns]
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{c.width}" customWidth="1"/>'
                   for i, c in enumerate(columns))
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        '<row r="1">' + "".join(_text_cell(f"{letters[i]}1", c.header, _STYLE_IDS["header"])
                                for i, c in enumerate(columns)) + "</row>"
    )
    with zf.open("xl/worksheets/sheet1.xml", mode="w", force_zip64=True) as part:
        part.write(head.encode())
        number = 1
        pending: list[str] = []
        for row in rows:
            number += 1
            cells = "".join(_cell(f"{letters[i]}{number}", value, styles[i]) for i, value in enumerate(row))
            pending.append(f'<row r="{number}">{cells}</row>')
            if len(pending) >= 200:
                part.write("".join(pending).encode())
                pending.clear()
                if len(sink.buffer) >= chunk_bytes:
                    yield sink.take()
        part.write(("".join(pending) + "</sheetData></worksheet>").encode())
    zf.close()
    yield sink.take()
