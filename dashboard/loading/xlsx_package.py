"""What an .xlsx package holds, checked before any spreadsheet library reads it.

An .xlsx file is a zip of XML parts. Three things about it must be known before a reader
builds a sheet in memory, because a reader cannot be stopped once it has started:

* how large it unpacks to: a 1 MB file can inflate to gigabytes (a "zip bomb");
* how far its cells reach: one cell at XFD1048576 makes a dense reader allocate a grid of
  16,384 x 1,048,576 cells and the process dies;
* which cells hold a formula without a stored result: a reader that takes stored values
  sees an empty cell, and an event written as ``=IF(...)`` would vanish without a word.

This module answers those from the package's XML with byte-level scans (no XML parser, so
no entity expansion), and refuses what is over the caps with one sentence.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from posixpath import join, normpath

from dashboard.errors import InputFileError

#: The most an .xlsx may unpack to (all its parts together).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
#: The most columns and cells a sheet's used range may span.
MAX_COLUMNS = 500
MAX_CELLS = 20_000_000

_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?>")
_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?>")
# A cell element, self-closing or with content (non-greedy up to its own end tag).
_CELL = re.compile(rb"<(?:(\w+):)?c\b([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REFERENCE = re.compile(rb'\br\s*=\s*"([A-Z]{1,3})([0-9]{1,7})"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)
_INLINE = re.compile(rb"<(?:\w+:)?is\b")


@dataclass
class SheetFacts:
    name: str
    last_row: int = 0  # 1-based; 0 when the sheet has no cell
    last_column: int = 0
    formulas_without_value: list[str] = field(default_factory=list)  # cell references


def column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inspect_package(name: str, archive: zipfile.ZipFile) -> dict[str, SheetFacts]:
    """Each worksheet's reach and formula cells without a stored value, by sheet name.

    Raises InputFileError when the package unpacks to more than the cap, or a sheet's
    cells reach beyond MAX_COLUMNS / MAX_CELLS, or a cell has no reference."""
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputFileError(
            f"{name} unpacks to {unpacked / 2**20:,.0f} MiB, more than the "
            f"{MAX_UNPACKED_BYTES // 2**20} MiB an Excel input may hold: save the table as "
            "CSV, or split it."
        )
    facts = {}
    for sheet_name, part in _sheet_parts(archive).items():
        facts[sheet_name] = _inspect_sheet(name, sheet_name, archive.read(part))
    return facts


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member of its XML, from the workbook and its relationships."""
    try:
        workbook = archive.read("xl/workbook.xml")
        relationships = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for element in _RELATIONSHIP.findall(relationships):
        attributes = dict(_ATTRIBUTE.findall(element))
        target = attributes.get(b"Target", b"").decode("utf-8", "replace")
        # A target is relative to xl/, or absolute within the package.
        target = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        targets[attributes.get(b"Id", b"")] = target
    parts = {}
    members = set(archive.namelist())
    for element in _SHEET.findall(workbook):
        attributes = dict(_ATTRIBUTE.findall(element))
        relation = next((v for k, v in attributes.items() if k.endswith(b":id")), b"")
        target = targets.get(relation)
        if target in members:
            parts[_xml_text(attributes.get(b"name", b""))] = target
    return parts


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    for entity, character in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&apos;", "'"),
        ("&amp;", "&"),
    ):
        text = text.replace(entity, character)
    return text


def _inspect_sheet(name: str, sheet_name: str, xml: bytes) -> SheetFacts:
    facts = SheetFacts(sheet_name)
    has_formulas = _FORMULA.search(xml) is not None
    for match in _CELL.finditer(xml):
        reference = _REFERENCE.search(match.group(2))
        if reference is None:
            raise InputFileError(
                f"{name} [{sheet_name}] has cells without a cell reference, which this "
                "monitor does not read: open it in Excel or LibreOffice and save it again "
                "as .xlsx."
            )
        column = column_number(reference.group(1).decode())
        row = int(reference.group(2))
        facts.last_row = max(facts.last_row, row)
        facts.last_column = max(facts.last_column, column)
        content = match.group(4)
        if has_formulas and content and _FORMULA.search(content):
            value = _VALUE.search(content)
            if (value is None or not (value.group(1) or b"").strip()) and _INLINE.search(
                content
            ) is None:
                facts.formulas_without_value.append(
                    f"{reference.group(1).decode()}{reference.group(2).decode()}"
                )
    if facts.last_column > MAX_COLUMNS or facts.last_row * facts.last_column > MAX_CELLS:
        far = f"{column_letters(facts.last_column)}{facts.last_row}"
        raise InputFileError(
            f"{name} [{sheet_name}] has a cell as far as {far}, beyond any table this monitor "
            f"reads (at most {MAX_COLUMNS} columns and {MAX_CELLS:,} cells): delete what "
            "is there, or copy the table to a new sheet."
        )
    return facts
