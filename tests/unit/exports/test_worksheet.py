"""RowsWorksheet writes the very XML XlsxWriter's own ``write_*`` calls write for the same
values (the export used those calls before; the file must not change), and reads back as
the values it was given."""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genfactory.exports._worksheet import MAX_STRING, RowsWorksheet

HEADERS = ("text", "when", "count", "flag", "note & <more>", " spaced ")
DATES = frozenset({1})
OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

#: Strings that take every branch of XlsxWriter's escaping.
AWKWARD_TEXT = [
    "",
    " ",
    "plain words",
    "  leading",
    "trailing\n",
    "\ttab first",
    "nbsp at the end\xa0",
    "ideographic space\u3000",
    "line\u2028separator",
    "ctrl \x01 \x08 \x0b \x1f end",
    "ends in a control \x1f",
    "\r\nwindows line",
    "a & b < c > d \"quoted\" 'single'",
    "_x0041_ looks like an escape",
    "_X0041_ upper case is not one",
    "_x004_ too short, _x00G1_ not hex",
    "non-characters \ufffe \uffff",
    "emoji 🎨 and é",
    "=cmd|' /C calc'!A0",
    "@SUM(A1)",
    "x" * MAX_STRING,
    "x" * (MAX_STRING + 10),
    "é" * (MAX_STRING // 2 + 5),
    "🎨" * (MAX_STRING // 2 + 1),
    "a" + "🎨" * (MAX_STRING // 2),
]
AWKWARD_NUMBERS: list[Any] = [
    0,
    -0.0,
    1,
    -7,
    2**31 - 1,
    2**53 - 1,
    2**53,
    2**53 + 1,
    -(2**53) - 1,
    2**62,
    10**20,
    0.1,
    1 / 3,
    1e-300,
    -2.5e300,
    1e16,
    12345678901234567.0,
    45678.123456789,
    True,
    False,
]


def sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def xlsxwriter_sheet(path: Path, rows: Sequence[Sequence[Any]]) -> bytes:
    """The sheet as XlsxWriter's own calls write it — what the export did cell by cell."""
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = book.add_worksheet("Rows")
    for column, header in enumerate(HEADERS):
        sheet.write_string(0, column, header, bold)
    for row, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            if value is None:
                continue
            if type(value) is str:
                sheet.write_string(row, column, value)
            elif column in DATES:
                sheet.write_number(row, column, value, date)
            elif type(value) is bool:
                sheet.write_boolean(row, column, value)
            else:
                sheet.write_number(row, column, value)
    sheet.freeze_panes(1, 0)
    book.close()
    return sheet_xml(path)


def rows_sheet(path: Path, chunks: Sequence[Sequence[Sequence[Any]]]) -> bytes:
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet = book.add_worksheet("Rows", worksheet_class=RowsWorksheet)
    sheet.start(HEADERS, header_format=bold, date_format=date, date_columns=DATES)
    for chunk in chunks:
        sheet.write_rows(chunk)
    sheet.freeze_panes(1, 0)
    book.close()
    return sheet_xml(path)


def same_as_xlsxwriter(tmp_path: Path, rows: list[list[Any]]) -> None:
    ours = rows_sheet(tmp_path / "ours.xlsx", [rows[: len(rows) // 2], rows[len(rows) // 2 :]])
    theirs = xlsxwriter_sheet(tmp_path / "theirs.xlsx", rows)
    assert ours.decode() == theirs.decode()


def test_awkward_strings_and_numbers_match_xlsxwriter(tmp_path: Path) -> None:
    rows: list[list[Any]] = [[text, None, None, None, None, text] for text in AWKWARD_TEXT]
    rows += [[None, n, n, n, None, None] for n in AWKWARD_NUMBERS]
    rows += [[None] * len(HEADERS), ["after an empty row", 45000.5, 3, True, "&", None]]
    rows += [[None] * len(HEADERS)]  # a last row with no cell does not count in <dimension>
    same_as_xlsxwriter(tmp_path, rows)
    same_as_xlsxwriter(tmp_path, [[None] * len(HEADERS)] * 2)  # nor in the next chunk


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.text().filter(lambda t: not (t.startswith("<r>") and t.endswith("</r>"))),
                st.integers(min_value=-(2**70), max_value=2**70),
                st.floats(allow_nan=False, allow_infinity=False),
                st.booleans(),
            ),
            min_size=len(HEADERS),
            max_size=len(HEADERS),
        ),
        max_size=8,
    )
)
def test_any_values_match_xlsxwriter(tmp_path: Path, rows: list[list[Any]]) -> None:
    same_as_xlsxwriter(tmp_path, rows)


def test_reads_back_as_written(tmp_path: Path) -> None:
    """What a reader sees, including the two places we differ from XlsxWriter on purpose:
    rich-text-shaped strings stay text, and a NaN or infinity becomes its text instead of
    failing the export."""
    path = tmp_path / "book.xlsx"
    rows_sheet(
        path,
        [
            [
                ["<r><t>not rich text</t></r>", 45000.25, 7, True, None, " kept "],
                ["ctrl \x01 & _x0041_", None, math.nan, False, math.inf, -math.inf],
                ["x" * (MAX_STRING + 5), 0, 2**62, None, None, None],
            ]
        ],
    )
    with zipfile.ZipFile(path) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml"), "no formulas"
    sheet = openpyxl.load_workbook(path)["Rows"]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    assert all(c.font.b for c in sheet[1])
    first, second, third = sheet[2], sheet[3], sheet[4]
    assert first[0].value == "<r><t>not rich text</t></r>" and first[0].data_type == "s"
    assert first[1].is_date and first[1].number_format == "yyyy-mm-dd hh:mm:ss"
    assert first[1].value.isoformat() == "2023-03-15T06:00:00"
    assert first[2].value == 7 and first[3].value is True and first[4].value is None
    assert first[5].value == " kept "
    # Excel's escapes for a control character and for escape-shaped text (Excel undoes
    # them on reading; openpyxl leaves them be).
    assert second[0].value == "ctrl _x0001_ & _x005F_x0041_"
    assert [c.value for c in second[2:]] == ["nan", False, "inf", "-inf"]
    assert third[0].value == "x" * MAX_STRING, "cut at Excel's limit, like XlsxWriter"
    assert third[1].is_date and third[2].value == 2**62


def test_needs_constant_memory(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    sheet = book.add_worksheet("Rows", worksheet_class=RowsWorksheet)
    with pytest.raises(RuntimeError, match="constant_memory"):
        sheet.start(HEADERS, header_format=None, date_format=None, date_columns=DATES)
    book.close()


def test_dimension_covers_the_header_and_the_last_row(tmp_path: Path) -> None:
    xml = rows_sheet(tmp_path / "d.xlsx", [[["a", 1, 2, False, "b", "c"]], [["d"] + [None] * 5]])
    assert re.search(rb'<dimension ref="A1:F3"/>', xml)
