"""The pipeline, stage by stage: config, manuscript, check, convert, render, write.

Nothing is written until every product has been made in memory, so a build that fails at
any stage leaves the previous outputs exactly as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from folio import critic, docx, draft, epub, layout, onix, pdf, redline, version
from folio.check import Checked, check_book
from folio.config import DEFAULT_FORMATS, Project, draft_geometry, load_project, page_geometry
from folio.convert import convert
from folio.errors import ConfigError, ManuscriptError
from folio.findings import Finding
from folio.fragment import Fragment
from folio.manuscript import FRONT_MATTER, Chapter
from folio.outputs import write_atomic


@dataclass
class Product:
    format: str
    path: Path
    data: bytes
    pages: list[layout.Page] = field(default_factory=list)

    @property
    def signature_path(self) -> Path:
        """Where the first words of each page are kept, to tell next time which breaks moved."""
        return self.path.parent / ".cache" / f"{self.path.name}.pages.json"

    def signature(self) -> bytes:
        return json.dumps([page.first_words for page in self.pages], ensure_ascii=False, indent=0).encode("utf-8")


@dataclass
class BuildReport:
    products: list[Product]
    warnings: list[Finding] = field(default_factory=list)


def build(
    project_dir: Path,
    formats: tuple[str, ...] = DEFAULT_FORMATS,
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    release: bool = False,
    against: str | None = None,
) -> BuildReport:
    """Build these formats. `release` refuses unresolved editorial marks (the printer's files);
    `against` makes the draft a redline of the changes since that git revision."""
    project = load_project(project_dir)
    if project.config.print.press and "pdf" in formats and "press" not in formats:
        formats = (*formats, "press")
    checked = check_book(project)
    checked.raise_if_failing(strict, release)
    out = (out_dir or project.root / "build").resolve()
    cache = out / ".cache"

    # The book (pdf, press, epub) reads the text with its editorial changes resolved; the draft
    # reads it with them marked up, or marked up against an earlier version.
    findings: list[Finding] = []
    book: list[Fragment] = []
    review: list[Fragment] = []
    if {"pdf", "press", "epub"} & set(formats):
        book, found = convert(project, checked.chapters, cache, lambda c: critic.apply(c.body, project.config.changes))
        findings += found
    if "draft" in formats:
        review, found = convert(project, checked.chapters, cache, review_text(project, against, "markup"))
        findings += [f for f in found if f not in findings]
    if any(f.is_error for f in findings) or (strict and findings):
        raise ManuscriptError(checked.findings + findings)

    report = BuildReport([], checked.warnings + findings)
    laid_out: dict[str, Product] = {}
    for name in sorted(formats, key=lambda n: n == "epub"):  # the EPUB takes its page numbers from the print layout
        if name == "epub":
            print_pages = (laid_out.get("pdf") or render_pdf(project, book, "pdf", out, [])).pages
            report.products.append(Product(name, out / f"{project.config.slug}.epub", epub.render(project, book, print_pages)))
        elif name == "draft":
            report.products.append(render_draft(project, review, checked, against, out, report.warnings))
        elif name == "onix":
            data = onix.record(project)
            report.products.append(Product(name, out / f"{project.config.slug}-onix.xml", data))
        elif name == "docx":
            data = docx.render(project, checked.chapters, review_text(project, against, "keep"))
            report.products.append(Product(name, out / f"{project.config.slug}-review.docx", data))
        else:
            laid_out[name] = render_pdf(project, book, name, out, report.warnings)
            report.products.append(laid_out[name])
    if strict and report.warnings:
        raise ManuscriptError(report.warnings)

    for product in report.products:
        write_atomic(product.path, product.data)
        if product.pages:
            write_atomic(product.signature_path, product.signature())
    return report


def review_text(project: Project, against: str | None, marks: str) -> Callable[[Chapter], str]:
    """How a review copy reads a chapter: its editorial marks; with `against`, the words changed
    since that revision as marks instead (a chapter new since then is all inserted). `marks` is
    "markup" for the draft (spans Pandoc keeps) or "keep" for the DOCX (CriticMarkup as written)."""

    def finish(text: str) -> str:
        return critic.apply(text, "markup") if marks == "markup" else text

    if against is None:
        return lambda chapter: finish(chapter.body)
    version.describe_rev(project.root, against)  # an unknown revision stops the build here

    def changes_since(chapter: Chapter) -> str:
        old = old_body(project, against, chapter)
        return finish(redline.redline(critic.apply(old, "accept"), critic.apply(chapter.body, "accept")))

    return changes_since


def old_body(project: Project, rev: str, chapter: Chapter) -> str:
    try:
        text = version.read_at(project.root, rev, str(chapter.path))
    except ConfigError:
        return ""  # the chapter did not exist then
    match = FRONT_MATTER.match(text)
    return text[match.end() :] if match else text


def render_pdf(project: Project, fragments: list[Fragment], name: str, out: Path, warnings: list[Finding]) -> Product:
    """Lay out the print PDF or the printer's file; its layout warnings go into `warnings`."""
    geometry = page_geometry(project)
    result = pdf.render(project, fragments, "book.html.j2", geometry, press=name == "press")
    path = out / (f"{project.config.slug}.pdf" if name == "pdf" else f"{project.config.slug}-press.pdf")
    return _product(name, path, result, geometry, warnings)


def render_draft(
    project: Project, fragments: list[Fragment], checked: Checked, against: str | None, out: Path, warnings: list[Finding]
) -> Product:
    previous = version.describe_rev(project.root, against) if against else None
    result = draft.render(project, fragments, checked, version.describe(project.manuscript_dir), previous)
    return _product("draft", out / f"{project.config.slug}-draft.pdf", result, draft_geometry(project), warnings)


def _product(name: str, path: Path, result: pdf.PdfResult, geometry: dict[str, float], warnings: list[Finding]) -> Product:
    product = Product(name, path, result.data, result.pages)
    warnings += [Finding("B002", path, 0, 0, f"WeasyPrint: {w}") for w in result.warnings]
    text_block = (geometry["top"], geometry["height"] - geometry["bottom"])
    warnings += layout.check(result.pages, path, text_block, _previous_signature(product))
    return product


def _previous_signature(product: Product) -> list[str] | None:
    try:
        return list(json.loads(product.signature_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
