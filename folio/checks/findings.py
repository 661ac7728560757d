"""Findings: what a check reports, with a stable code per kind of problem, in one catalogue.

The catalogue is append-only: a code, once given a meaning, keeps it forever, so that editors can
grep old reports and `allow:` lists stay valid. A code that is no longer reported stays listed
with `retired=` saying since when and why; it is never given to another problem.

Severities: an error fails a build, a warning fails it with --strict, a note tells and
never fails. A finding is located by file and line (the manuscript) or by file and page (a PDF). A book may
silence warning codes in book.yaml (`allow: [L006]`); silenced findings are counted, not lost.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

ERROR = "error"
WARNING = "warning"
NOTE = "note"


class Code(NamedTuple):
    severity: str
    summary: str
    retired: str = ""
    """Empty while the code is in use; otherwise since when, and why, it is no longer reported."""


CODES = {
    # citations
    "C001": Code(ERROR, "citation key not in the bibliography"),
    "C002": Code(ERROR, "duplicate id in the bibliography"),
    "C003": Code(ERROR, "bibliography entry without a title"),
    "C004": Code(ERROR, "bibliography entry without a date"),
    "C005": Code(WARNING, "bibliography entry never cited"),
    "C006": Code(ERROR, "bibliography entry without an id"),
    "C007": Code(ERROR, "bibliography is not a list of CSL entries"),
    "C008": Code(ERROR, "citation syntax Folio does not read (a citation-typing or identifier prefix)"),
    # cross-references (text/crossref.py)
    "X001": Code(ERROR, "cross-reference to a label that is not in the book"),
    "X002": Code(ERROR, "label defined twice"),
    # manuscript
    "M001": Code(ERROR, "chapter front matter is missing or malformed"),
    "M002": Code(ERROR, "chapter front matter lacks a title"),
    "M003": Code(ERROR, "chapter number is not a whole number"),
    "M004": Code(ERROR, "raw HTML is not allowed in the manuscript"),
    "M005": Code(ERROR, "chapter file is not valid UTF-8"),
    "M006": Code(ERROR, "two chapters share a number"),
    "M007": Code(ERROR, "image without alternative text"),
    "M008": Code(ERROR, "link to a place that is not in the book"),
    "M009": Code(ERROR, "image file not found in the manuscript folder"),
    "M010": Code(ERROR, "image of a type EPUB readers do not show"),
    "M011": Code(WARNING, "heading level skipped"),
    "M012": Code(NOTE, "chapter title read from the file's title block or first heading, not from front matter"),
    "M013": Code(WARNING, "running head too long for the line, and no short title"),
    "M014": Code(ERROR, "TeX math that Pandoc cannot convert (it would print as raw TeX)"),
    "M015": Code(WARNING, "display formula with bare \\\\ line breaks, set as centred lines (gathered)"),
    # editorial markup (CriticMarkup)
    "K001": Code(WARNING, "unresolved editorial mark (insertion, deletion, substitution, highlight or comment)"),
    "K002": Code(ERROR, "editorial mark opened but not closed"),
    "K003": Code(ERROR, "editorial mark where it cannot work"),
    # layout of the PDFs Folio makes (warnings: --strict makes them fail the build)
    "L001": Code(WARNING, "widow: a paragraph's last line alone at the head of a page"),
    "L002": Code(WARNING, "orphan: a paragraph's first line alone at the foot of a page"),
    "L003": Code(WARNING, "heading stranded at the foot of a page"),
    "L004": Code(WARNING, "page less than a quarter full"),
    "L005": Code(WARNING, "blank page that parity did not ask for"),
    "L006": Code(WARNING, "loose line: word spaces stretched beyond the limit"),
    "L007": Code(WARNING, "page breaks moved since the previous build"),
    "L008": Code(WARNING, "page left more than 40% empty before a figure that did not fit"),
    "L009": Code(WARNING, "table wider than the measure even at the smallest size"),
    # build
    "B001": Code(WARNING, "Pandoc warned while converting a chapter"),
    "B002": Code(WARNING, "WeasyPrint warned while laying out a PDF"),
    # preflight: any PDF, as a printer checks it (folio preflight)
    "F001": Code(ERROR, "font not embedded"),
    "F002": Code(ERROR, "Type 3 font"),
    "G001": Code(ERROR, "TrimBox does not match the trim size"),
    "G002": Code(ERROR, "BleedBox does not extend the trim by the bleed"),
    "G003": Code(ERROR, "MediaBox does not contain the trim and bleed"),
    "T001": Code(ERROR, "glyph outside the text block"),
    "T002": Code(ERROR, "glyph beyond the trim or in the bleed"),
    "I001": Code(WARNING, "image below 300 ppi at its placed size"),
    "I002": Code(ERROR, "image colour space that the declared PDF/X standard forbids"),
    "I003": Code(ERROR, "transparency (a soft mask or a transparency group) in a PDF/X file that forbids it"),
    # images at their printed size, when the book is built (checks/resolution.py)
    "I004": Code(WARNING, "image below 300 ppi at its printed size"),
    "I005": Code(ERROR, "image below 150 ppi at its printed size (--release)"),
    "D001": Code(ERROR, "no document title"),
    "D002": Code(ERROR, "no document language"),
    "P001": Code(NOTE, "odd page count"),
    # raw markup from other tools (folio/checks/markup.py)
    "R001": Code(WARNING, "raw TeX that only TeX runs: dropped (\\newpage and \\pagebreak are page breaks)"),
    "R002": Code(WARNING, "Jekyll Liquid tag: dropped"),
    "R003": Code(WARNING, "a tag that is not HTML: dropped, its content kept"),
    "R004": Code(ERROR, "HTML comment never closed"),
    "R005": Code(ERROR, "HTML element not closed in the paragraph it opens in"),
    "R006": Code(NOTE, "HTML block read as Markdown (paragraphs, lists, emphasis, links): converted, not refused"),
    "R020": Code(NOTE, "figure in another tool's dialect (Jekyll figure include, \\aosafigure, \\aosafigref) read as Folio's own"),
    # links
    "U001": Code(ERROR, "URL that cannot be made valid"),
    "U002": Code(WARNING, "link to a path, which no reader can follow: dropped, its text kept"),
    # validators of the products (folio/checks/epubcheck.py)
    "V001": Code(ERROR, "EPUBCheck error in the EPUB"),
    "V002": Code(WARNING, "EPUBCheck warning in the EPUB"),
    # containment: a build reads only the project (folio/project/contain.py)
    "S001": Code(ERROR, "file outside the project (absolute path, ../, a symbolic link leading out, or a file:// URL)"),
    "S002": Code(ERROR, "remote (http or https) image: an image must be a file inside the project"),
    "S003": Code(ERROR, "control character that no output can hold (XML forbids it; a terminal may obey it)"),
    # limits: sizes past which a build would hang or exhaust memory (folio/checks/limits.py)
    "Z001": Code(ERROR, "chapter file bigger than the limit (2 MB)"),
    "Z002": Code(ERROR, "table with more rows than the limit (1,000)"),
    "Z003": Code(ERROR, "image with more pixels than the limit (40 megapixels)"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    path: Path
    line: int
    col: int
    message: str
    hint: str = ""
    page: int = 0
    """For findings in a PDF: the page (1-based), shown instead of a line."""

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def fails(self, strict: bool) -> bool:
        """An error fails a build; a warning too with --strict; a note never does."""
        return self.is_error or (strict and self.severity == WARNING)

    def location(self, root: Path | None = None) -> str:
        path = self.path
        if root is not None and self.path.resolve().is_relative_to(root.resolve()):
            path = self.path.resolve().relative_to(root.resolve())
        if self.page:
            return f"{path}:page {self.page}"
        if not self.line:
            return str(path)
        where = f"{path}:{self.line}"
        return f"{where}:{self.col}" if self.col else where

    def format(self, root: Path | None = None) -> str:
        text = f"{self.location(root)}: {self.severity}: {self.code} {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_json(self, root: Path | None = None) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "location": self.location(root),
            "line": self.line,
            "col": self.col,
            "page": self.page,
            "message": self.message,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.format()


def silence(findings: list[Finding], allow: Iterable[str]) -> tuple[list[Finding], list[Finding]]:
    """(kept, silenced): the findings whose code the book allows are set aside, not lost."""
    allowed = set(allow)
    return [f for f in findings if f.code not in allowed], [f for f in findings if f.code in allowed]


def silenced_summary(silenced: list[Finding]) -> str:
    """'3 silenced by allow: L006 ×2, C005 ×1', or '' when none were."""
    if not silenced:
        return ""
    counts = Counter(f.code for f in silenced)
    return f"{len(silenced)} silenced by allow: " + ", ".join(f"{code} ×{n}" for code, n in sorted(counts.items()))


def closest(word: str, candidates: list[str]) -> str:
    """A 'did you mean' hint, or '' when nothing is close."""
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f"did you mean '{match[0]}'?" if match else ""
