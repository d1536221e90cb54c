"""A worksheet that takes whole rows and renders their XML itself, a chunk at a time.

XlsxWriter's cell-by-cell API costs about 5 µs a cell (argument checks, a tuple per cell, a
row table, attribute lists, three regular expressions per string): four fifths of an
export's time. :class:`RowsWorksheet` writes exactly the ``<row>``/``<c>`` XML that
XlsxWriter's ``constant_memory`` mode writes for the same calls — inline strings with its
escapes, numbers as ``{:.16G}``, the cell's style index — straight into the row file that
mode keeps, so XlsxWriter still assembles the sheet around it (dimension, panes, filter) and
the package (styles, workbook, zip). The sheet stays one row file on disk: memory is flat.

It leans on three things inside XlsxWriter that are not its public API: the row file of
``constant_memory`` mode (``row_data_fh``), the ``dim_*`` extent the ``<dimension>`` element is
built from, and ``Format._get_xf_index()`` (what XlsxWriter itself calls when it writes a
styled cell in that mode). ``tests/unit/exports/test_worksheet.py`` writes the same values
through XlsxWriter's own ``write_*`` calls and compares the XML byte for byte, so an
XlsxWriter release that changes either side fails there, not in a user's Excel.

Two deliberate differences from XlsxWriter: a string shaped like ``<r>…</r>`` is escaped
like any other (XlsxWriter passes it through as rich-text XML, which corrupts the sheet when
it is a prompt), and a NaN or infinite number is written as its text (XlsxWriter refuses it
and the whole export would fail).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from xlsxwriter.format import Format  # type: ignore[import-untyped]
from xlsxwriter.utility import xl_col_to_name  # type: ignore[import-untyped]
from xlsxwriter.worksheet import Worksheet  # type: ignore[import-untyped]

#: Excel's limit on a cell's text, in UTF-16 code units (XlsxWriter truncates to it).
MAX_STRING = 32_767

#: Characters that make a string leave the fast path: what XML or Excel must escape (``&<>``,
#: control characters, the two non-characters). Text holding ``_x`` leaves it too (it may
#: look like Excel's own ``_xHHHH_`` escape, which must itself be escaped); a character class
#: alone is searched three times faster than with that alternative in the pattern.
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")
#: Pieces of XML gathered before they go to the row file: a few hundred rows, so a chunk's
#: text never sits in memory whole (a chunk of 1,000 jobs is ~3 MB of XML).
_PARTS_PER_WRITE = 8192
#: Integers below this print the same through ``str`` as through ``{:.16G}`` (a float's
#: exact range), in a quarter of the time.
_EXACT_INT = 2**53
_EXCEL_ESCAPE_LOOKALIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _truncated(text: str) -> str:
    """``text`` cut to Excel's limit without splitting a character outside the BMP."""
    units = 0
    for n, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > MAX_STRING:
            return text[:n]
    return text


def escape_text(text: str) -> tuple[str, bool]:
    """``text`` as an inline string's ``<t>`` content, and whether it needs
    ``xml:space="preserve"`` — the same steps, in the same order, as XlsxWriter."""
    if len(text) > MAX_STRING // 2 and _utf16_units(text) > MAX_STRING:
        text = _truncated(text)
    if _NEEDS_ESCAPE.search(text) is not None or "_x" in text:
        text = _EXCEL_ESCAPE_LOOKALIKE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        preserve = text[:1].isspace() or text[-1:].isspace()
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), preserve
    return text, text[:1].isspace() or text[-1:].isspace()


class RowsWorksheet(Worksheet):  # type: ignore[misc]
    """A worksheet written only through :meth:`start` and :meth:`write_rows`.

    Create it with ``workbook.add_worksheet(name, worksheet_class=RowsWorksheet)`` on a
    ``constant_memory`` workbook; do not mix in XlsxWriter's own ``write*`` calls (their
    rows would interleave with ours).
    """

    def start(
        self,
        headers: Sequence[str],
        *,
        header_format: Format,
        date_format: Format,
        date_columns: Collection[int],
    ) -> None:
        """Write the header row and prepare the per-column pieces of every later cell.
        Values in ``date_columns`` that are not text get ``date_format``."""
        if not self.constant_memory or self.row_data_fh is None:
            raise RuntimeError("RowsWorksheet needs a workbook in constant_memory mode")
        self._width = len(headers)
        letters = [xl_col_to_name(column) for column in range(self._width)]
        # Header first: XlsxWriter numbers styles in the order cells first use them.
        header_style = f' s="{header_format._get_xf_index()}"'
        date_style = f' s="{date_format._get_xf_index()}"'
        #: ``<c r="B`` — the row number follows.
        self._open = [f'<c r="{letter}' for letter in letters]
        #: What follows the row number of a number cell (its style, when a date).
        self._number = [
            f'"{date_style if column in date_columns else ""}><v>' for column in range(self._width)
        ]
        self._dates = frozenset(date_columns)
        self._next_row = self._last_filled = 0
        cells = []
        for column, header in enumerate(headers):
            text, preserve = escape_text(header)
            space = ' xml:space="preserve"' if preserve else ""
            cells.append(
                f'{self._open[column]}1"{header_style} t="inlineStr">'
                f"<is><t{space}>{text}</t></is></c>"
            )
        self._emit(f'<row r="1">{"".join(cells)}</row>', 1, 1)

    @property
    def rows(self) -> int:
        """Rows written so far, the header included."""
        return self._next_row

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        """Append ``rows`` (``None`` cells are left empty). Text is written as text
        (never a formula or a link), a bool as a boolean, anything else as a number."""
        parts: list[str] = []
        add = parts.append
        opens, numbers = self._open, self._number
        search = _NEEDS_ESCAPE.search
        number, last = self._next_row, self._last_filled
        for values in rows:
            number += 1
            r = str(number)
            opened = len(parts)
            add(f'<row r="{r}">')
            for column, value in enumerate(values):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    if (
                        search(value) is None
                        and "_x" not in value
                        and len(value) <= MAX_STRING // 2
                        and value.strip() is value  # no space to preserve at either end
                    ):
                        add(f'{opens[column]}{r}" t="inlineStr"><is><t>{value}</t></is></c>')
                    else:
                        add(self._text_cell(column, r, value))
                elif kind is int and -_EXACT_INT < value < _EXACT_INT:
                    add(f"{opens[column]}{r}{numbers[column]}{value}</v></c>")
                elif kind is float:
                    shown = f"{value:.16G}"
                    if shown[-1] in "NF":  # NAN, INF, -INF: Excel has no such number
                        add(self._text_cell(column, r, value))
                    else:
                        add(f"{opens[column]}{r}{numbers[column]}{shown}</v></c>")
                else:
                    add(self._other_cell(column, r, value))
            if len(parts) == opened + 1:
                parts.pop()  # no cell: XlsxWriter writes no <row> either
            else:
                add("</row>")
                last = number
                if len(parts) > _PARTS_PER_WRITE:
                    self.row_data_fh.write("".join(parts))
                    parts.clear()
        self._emit("".join(parts), number - self._next_row, last)

    def _other_cell(self, column: int, r: str, value: Any) -> str:
        """A value off the fast path: a bool (a number in a date column, as XlsxWriter's
        ``write_number`` makes it), an int beyond 2**53, a subclass of ``str``, another kind
        of number."""
        if isinstance(value, str):
            return self._text_cell(column, r, value)
        if isinstance(value, bool) and column not in self._dates:
            return f'{self._open[column]}{r}" t="b"><v>{1 if value else 0}</v></c>'
        try:
            shown = f"{value if isinstance(value, int) else float(value):.16G}"
        except (TypeError, ValueError, OverflowError):  # not a number, or beyond any float
            shown = "N"
        if shown[-1] in "NF":
            return self._text_cell(column, r, value)
        return f"{self._open[column]}{r}{self._number[column]}{shown}</v></c>"

    def _text_cell(self, column: int, r: str, value: Any) -> str:
        text, preserve = escape_text(str(value))
        space = ' xml:space="preserve"' if preserve else ""
        return f'{self._open[column]}{r}" t="inlineStr"><is><t{space}>{text}</t></is></c>'

    def _emit(self, xml: str, rows: int, last: int) -> None:
        """Append ``rows`` rows of ``xml``; ``last`` = the number of the last row that
        holds a cell (the header spans every column, so it sets the columns' extent)."""
        self.row_data_fh.write(xml)
        self._next_row += rows
        self._last_filled = last
        # The extent XlsxWriter builds <dimension> from.
        self.dim_rowmin, self.dim_rowmax = 0, last - 1
        self.dim_colmin, self.dim_colmax = 0, self._width - 1
