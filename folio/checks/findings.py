"""Findings: what a check reports, with a stable code per kind of problem.

The catalogue below is append-only: a code, once given a meaning, keeps it forever, so that
editors can grep old reports and suppress lists stay valid.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"

CODES = {
    # citations
    "C001": (ERROR, "citation key not in the bibliography"),
    "C002": (ERROR, "duplicate id in the bibliography"),
    "C003": (ERROR, "bibliography entry without a title"),
    "C004": (ERROR, "bibliography entry without a date"),
    "C005": (WARNING, "bibliography entry never cited"),
    "C006": (ERROR, "bibliography entry without an id"),
    "C007": (ERROR, "bibliography is not a list of CSL entries"),
    # manuscript
    "M001": (ERROR, "chapter front matter is missing or malformed"),
    "M002": (ERROR, "chapter front matter lacks a title"),
    "M003": (ERROR, "chapter number is not a whole number"),
    "M004": (ERROR, "raw HTML is not allowed in the manuscript"),
    "M005": (ERROR, "chapter file is not valid UTF-8"),
    "M006": (ERROR, "two chapters share a number"),
    "M007": (ERROR, "image without alternative text"),
    "M008": (ERROR, "link to a place that is not in the book"),
    "M009": (ERROR, "image file not found in the manuscript folder"),
    "M010": (ERROR, "image of a type EPUB readers do not show"),
    # editorial markup (CriticMarkup)
    "K001": (WARNING, "unresolved editorial mark (insertion, deletion, substitution, highlight or comment)"),
    "K002": (ERROR, "editorial mark opened but not closed"),
    "K003": (ERROR, "editorial mark where it cannot work"),
    # layout of the PDFs (warnings: --strict makes them fail the build)
    "L001": (WARNING, "widow: a paragraph's last line alone at the head of a page"),
    "L002": (WARNING, "orphan: a paragraph's first line alone at the foot of a page"),
    "L003": (WARNING, "heading stranded at the foot of a page"),
    "L004": (WARNING, "page less than a quarter full"),
    "L005": (WARNING, "blank page that parity did not ask for"),
    "L006": (WARNING, "loose line: word spaces stretched beyond the limit"),
    "L007": (WARNING, "page breaks moved since the previous build"),
    "L008": (WARNING, "page left more than 40% empty before a figure that did not fit"),
    "L009": (WARNING, "table wider than the measure even at the smallest size"),
    # images at their printed size (folio/checks/resolution.py)
    "R001": (WARNING, "image below 300 ppi at its printed size"),
    "R002": (ERROR, "image below 150 ppi at its printed size (--release)"),
    # build
    "B001": (WARNING, "Pandoc warned while converting a chapter"),
    "B002": (WARNING, "WeasyPrint warned while laying out a PDF"),
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
        return CODES[self.code][0]

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

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

    def __str__(self) -> str:
        return self.format()


def closest(word: str, candidates: list[str]) -> str:
    """A 'did you mean' hint, or '' when nothing is close."""
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f"did you mean '{match[0]}'?" if match else ""
