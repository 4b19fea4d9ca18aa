"""The page furniture of invoices and credit notes: an A4 page in the core Helvetica font,
headings, label/value rows, address blocks and tables. The core fonts are Latin-1 only, so
every text goes through `latin1` first: no name a buyer types can make a document fail."""

import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

# Letters that Unicode does not decompose into a Latin-1 base letter.
_FOLDED = str.maketrans(
    {
        "\N{LATIN CAPITAL LETTER L WITH STROKE}": "L",
        "\N{LATIN SMALL LETTER L WITH STROKE}": "l",
        "\N{LATIN CAPITAL LETTER D WITH STROKE}": "D",
        "\N{LATIN SMALL LETTER D WITH STROKE}": "d",
        "\N{LATIN CAPITAL LETTER H WITH STROKE}": "H",
        "\N{LATIN SMALL LETTER H WITH STROKE}": "h",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i",
        "\N{LATIN CAPITAL LIGATURE OE}": "OE",
        "\N{LATIN SMALL LIGATURE OE}": "oe",
        "\N{LEFT SINGLE QUOTATION MARK}": "'",
        "\N{RIGHT SINGLE QUOTATION MARK}": "'",
        "\N{SINGLE LOW-9 QUOTATION MARK}": ",",
        "\N{LEFT DOUBLE QUOTATION MARK}": '"',
        "\N{RIGHT DOUBLE QUOTATION MARK}": '"',
        "\N{DOUBLE LOW-9 QUOTATION MARK}": '"',
        "\N{EN DASH}": "-",
        "\N{EM DASH}": "-",
        "\N{HORIZONTAL ELLIPSIS}": "...",
        "\N{EURO SIGN}": "EUR",
    }
)
_CENT = Decimal("0.01")
GREY = (110, 110, 110)
BLACK = (0, 0, 0)


def latin1(text: str) -> str:
    """`text` with every character outside Latin-1 folded to its base letter (ś → s, Ł → L),
    or to "?" when it has none (山田 → ??)."""
    out = []
    # NFC first: an "e" followed by a combining acute is the Latin-1 "é".
    for char in unicodedata.normalize("NFC", str(text)).translate(_FOLDED):
        if unicodedata.category(char) == "Cc" and char != "\n":
            out.append(" ")  # a control character draws nothing a reader can see
        elif ord(char) < 256:
            out.append(char)
        else:
            out.append(_base_letter(char))
    return "".join(out)


def _base_letter(char: str) -> str:
    if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
        return ""  # a stray accent, a zero-width space or joiner: nothing to see
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(ord(c) < 256 for c in base) else "?"


def money(amount: Decimal | str, currency: str) -> str:
    """Exactly two places and the currency: `1524.00 USD` (Decimal all the way, no float)."""
    return f"{Decimal(str(amount)).quantize(_CENT):.2f} {currency}"


def address_lines(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    state = address.get("state")
    town = f"{address.get('postal_code', '')} {address.get('city', '')}".strip()
    lines = [address.get("name"), address.get("line1"), address.get("line2")]
    lines += [f"{town}, {state}" if state else town, address.get("country")]
    if address.get("phone"):
        lines.append(f"Phone {address['phone']}")
    return [str(line) for line in lines if line]


class Document:
    """One A4 document, written top to bottom."""

    def __init__(self, title: str) -> None:
        # Imported here: fpdf2 takes a third of a second to import, and the modules that import
        # this one (mail, notifications, the timeline) are in every process that renders nothing.
        from fpdf import FPDF

        self.pdf: FPDF = FPDF(format="A4")
        self.pdf.set_title(latin1(title))
        self.pdf.set_creator("order-engine")
        self.pdf.set_margins(18, 18, 18)
        self.pdf.set_auto_page_break(True, margin=18)
        self.pdf.add_page()
        self.width = self.pdf.epw

    def heading(self, title: str, number: str, mark_draft: bool) -> None:
        """The document's name on the left, its number (or DRAFT, in red) on the right."""
        pdf = self.pdf
        top = pdf.get_y()
        pdf.set_font("helvetica", "B", 22)
        pdf.cell(self.width / 2, 12, latin1(title))
        pdf.set_xy(pdf.l_margin + self.width / 2, top)
        if mark_draft:
            pdf.set_text_color(190, 0, 0)
        pdf.cell(self.width / 2, 12, latin1(number), align="R")
        pdf.set_text_color(*BLACK)
        pdf.ln(16)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label/value rows (dates, status, references) in a compact block."""
        for label, value in rows:
            self._label(label, 38)
            self.pdf.set_font("helvetica", "", 10)
            self.pdf.cell(self.width - 38, 5.5, latin1(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(5)

    def parties(self, left: tuple[str, list[str]], right: tuple[str, list[str]]) -> None:
        """Two address blocks side by side: who issues the document, who it is for."""
        pdf = self.pdf
        top, half = pdf.get_y(), self.width / 2
        bottoms = []
        for column, (label, lines) in enumerate((left, right)):
            x = pdf.l_margin + column * half
            pdf.set_xy(x, top)
            self._label(label.upper(), half - 4)
            pdf.set_xy(x, top + 6)
            pdf.set_font("helvetica", "", 10)
            for line in lines:
                pdf.set_x(x)
                pdf.multi_cell(half - 4, 5, latin1(line), new_x="LEFT", new_y="NEXT")
            bottoms.append(pdf.get_y())
        pdf.set_xy(pdf.l_margin, max(bottoms) + 6)

    def table(
        self, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]
    ) -> None:
        """A table of text: the first column left-aligned, the others (figures) right-aligned."""
        from fpdf.fonts import FontFace

        self.pdf.set_font("helvetica", "", 10)
        align = ["LEFT"] + ["RIGHT"] * (len(headings) - 1)
        with self.pdf.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
            line_height=6,
            padding=(1, 2),
            width=self.width,
        ) as table:
            for cells in [headings, *rows]:
                row = table.row()
                for text in cells:
                    row.cell(latin1(text))
        self.pdf.ln(4)

    def totals(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Label and amount pairs right-aligned under a table; `True` marks one in bold."""
        pdf = self.pdf
        for label, amount, bold in rows:
            pdf.set_x(pdf.l_margin + self.width * 0.45)
            pdf.set_font("helvetica", "B" if bold else "", 10)
            pdf.cell(self.width * 0.30, 6, latin1(label))
            pdf.cell(self.width * 0.25, 6, latin1(amount), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(5)

    def section(self, label: str, text: str) -> None:
        self._label(label.upper(), self.width, new_line=True)
        self.pdf.set_font("helvetica", "", 10)
        self.pdf.multi_cell(self.width, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(4)

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def _label(self, text: str, width: float, new_line: bool = False) -> None:
        self.pdf.set_font("helvetica", "B", 8)
        self.pdf.set_text_color(*GREY)
        if new_line:
            self.pdf.cell(width, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        else:
            self.pdf.cell(width, 5.5, latin1(text))
        self.pdf.set_text_color(*BLACK)
