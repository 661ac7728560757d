"""The products Folio makes, as a registry: each format says what it needs and which module renders it.

A format's module has `render(inputs: Inputs) -> Rendered`; if the format needs settings that not
every build needs (a CMYK profile, ONIX fields), `requirements(project) -> list[str]`, which the
build checks before Pandoc runs; and if a validator judges the product (EPUBCheck),
`validate(inputs, rendered, path) -> list[Finding]`, which the build runs on what it made before
writing it (an error there means the product is not written). What a format may need:

- BOOK: the book's fragments, editorial changes resolved (text/convert.py);
- REVIEW: the review fragments, changes marked up, or the redline against an earlier version;
- PRINT: the print layout: the book laid out in pages once (its PDF and its pages).

build() works out from the needs what to make, makes each once, and renders each format.
To add a format: write its module in this folder and add one line to REGISTRY.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from folio.checks.book import Checked
    from folio.checks.findings import Finding
    from folio.project.config import PageGeometry, Project
    from folio.render.layout import Laid, Page
    from folio.text.fragment import Fragment

BOOK = "book"
REVIEW = "review"
PRINT = "print"


@dataclass(frozen=True)
class Format:
    name: str
    file: str
    """The output's file name; {slug} is the book's slug."""
    title: str
    """What the product is, for --help and the README."""
    audience: str
    """Who it is for and what it is, in a line."""
    module: str
    """The module that renders it (render(inputs) -> Rendered, and optionally requirements(project))."""
    needs: frozenset[str] = frozenset()
    default: bool = False
    """Made by `folio build` when no format is named."""
    lays_out: bool = False
    """Laid out by WeasyPrint on its own: made in a worker process, side by side with the others."""
    checked_apart: bool = False
    """Validated by another program (EPUBCheck, 3 s of a 40-chapter book): after an edit the build
    makes it first and waits for that program in a thread while it makes the others."""

    def path(self, out: Path, slug: str) -> Path:
        return out / self.file.format(slug=slug)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def requirements(self, project: Project) -> list[str]:
        check: Callable[[Project], list[str]] | None = getattr(self.load(), "requirements", None)
        return check(project) if check else []

    def validate(self, inputs: Inputs, rendered: Rendered, path: Path) -> list[Finding]:
        check: Callable[[Inputs, Rendered, Path], list[Finding]] | None = getattr(self.load(), "validate", None)
        return check(inputs, rendered, path) if check else []


REGISTRY: dict[str, Format] = {
    f.name: f
    for f in [
        Format("pdf", "{slug}.pdf", "print PDF", "the digital edition and proofs: tagged PDF/UA-1, embedded fonts, outline",
               "folio.formats.pdf", frozenset({PRINT}), default=True),
        Format("press", "{slug}-press.pdf", "printer's file", "the printer: PDF/X-1a, 0.125 in bleed, crop marks, CMYK black",
               "folio.formats.press", frozenset({PRINT})),  # the print layout's pages on a larger sheet
        Format("epub", "{slug}.epub", "EPUB 3", "e-book distributors and readers: passes EPUBCheck and Ace, print page numbers",
               "folio.formats.epub", frozenset({BOOK, PRINT}), default=True, checked_apart=True),
        Format("onix", "{slug}-onix.xml", "ONIX record", "retailers: ONIX 3.0 product record with the EPUB's accessibility codes",
               "folio.formats.onix"),
        Format("draft", "{slug}-draft.pdf", "review draft", "editors and fact-checkers: line numbers, version stamp, changes, comments",
               "folio.formats.draft", frozenset({REVIEW}), default=True, lays_out=True),
        Format("docx", "{slug}-review.docx", "Word review copy", "editors in Word: tracked changes, comments, endnotes",
               "folio.formats.docx", frozenset({REVIEW, PRINT})),  # HOOK(finish): images at their printed size
    ]
}  # fmt: skip


def default_formats() -> tuple[str, ...]:
    return tuple(name for name, f in REGISTRY.items() if f.default)


def needs(formats: Iterable[str]) -> set[str]:
    return {need for name in formats for need in REGISTRY[name].needs}


@dataclass(frozen=True)
class Options:
    """How this build was asked for: `release` refuses unresolved editorial marks; `against` makes
    the review copies a redline of the changes since that git revision; `validate` runs the
    products' validators."""

    strict: bool = False
    release: bool = False
    against: str | None = None
    validate: bool = True
    """Run each product's validator (EPUBCheck) on what the build made; off for quick local builds."""
    jobs: int = 0
    """Worker processes for the layouts; 0: one per core. It changes how fast a book is made, never what."""


@dataclass
class Inputs:
    """What the formats render from: build() fills in what the requested formats need."""

    project: Project
    checked: Checked
    out: Path
    options: Options
    book: list[Fragment] = field(default_factory=list)
    review: list[Fragment] = field(default_factory=list)
    print: Laid | None = None


@dataclass
class Rendered:
    """A product made in memory. A laid-out product keeps its pages and page design, for the
    layout checks, and what WeasyPrint warned about while laying it out."""

    data: bytes
    pages: list[Page] = field(default_factory=list)
    geometry: PageGeometry | None = None
    layout_warnings: list[str] = field(default_factory=list)
    page_findings: list[tuple[str, int, str]] = field(default_factory=list)
    """What the layout's own passes found (a hole before a figure, a table too wide): (code, page, message)."""

    @classmethod
    def laid_out(cls, laid: Laid, geometry: PageGeometry, data: bytes | None = None) -> Rendered:
        """A product that is a layout: its PDF (or `data`, finished), pages, design and warnings."""
        return cls(laid.data if data is None else data, laid.pages, geometry, laid.warnings, laid.findings)
