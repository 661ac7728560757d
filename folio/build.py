"""The pipeline, stage by stage: config, manuscript, check, convert, render, write.

Nothing is written until every product has been made in memory, so a build that fails at
any stage leaves the previous outputs exactly as they were.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from folio.checks import resolution
from folio.checks.book import Checked, check_book
from folio.checks.findings import Finding
from folio.errors import ConfigError, ManuscriptError
from folio.formats import docx, draft, epub, onix, pdf
from folio.formats.output import write_atomic
from folio.project.config import DEFAULT_FORMATS, Project, draft_geometry, load_project, page_geometry
from folio.project.manuscript import FRONT_MATTER, IMAGE, Chapter
from folio.render import layout
from folio.text import critic, redline
from folio.text.convert import convert
from folio.text.fragment import Fragment
from folio.tools import version


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
    layouts: list[str] = [name for name in ("pdf", "press", "draft") if name in formats]
    if "epub" in formats and "pdf" not in layouts:
        layouts.append("pdf")  # the EPUB takes the print edition's page numbers from its layout
    laid_out = lay_out_all(layouts, project, book, review, checked, against, out)
    for name in formats:
        if name in laid_out:
            product, warnings = laid_out[name]
            report.products.append(product)
            report.warnings += warnings
        elif name == "epub":
            data = epub.render(project, book, laid_out["pdf"][0].pages)
            report.products.append(Product(name, out / f"{project.config.slug}.epub", data))
        elif name == "onix":
            report.products.append(
                Product(
                    name,
                    out / f"{project.config.slug}-onix.xml",
                    onix.record(project, any(IMAGE.search(c.masked_body) for c in checked.chapters)),
                )
            )
        elif name == "docx":
            data = docx.render(project, checked.chapters, review_text(project, against, "keep"))
            report.products.append(Product(name, out / f"{project.config.slug}-review.docx", data))
    # HOOK(figtab): image resolution at the printed size; below 150 ppi stops a --release build
    placed = [f for product in report.products if product.format == "pdf" for f in resolution.check(product.data, product.path, release)]
    if any(f.is_error for f in placed):
        raise ManuscriptError(placed)
    report.warnings += placed
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


Layout = tuple[Product, list[Finding]]


def lay_out_all(
    names: list[str], project: Project, book: list[Fragment], review: list[Fragment], checked: Checked, against: str | None, out: Path
) -> dict[str, Layout]:
    """The PDFs, laid out side by side in worker processes (WeasyPrint keeps one core busy)."""
    jobs = {name: (name, project, review if name == "draft" else book, checked, against, out) for name in names}
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        return {name: lay_out(*job) for name, job in jobs.items()}
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {name: pool.submit(lay_out, *job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def lay_out(name: str, project: Project, fragments: list[Fragment], checked: Checked, against: str | None, out: Path) -> Layout:
    """One PDF (pdf, press or draft), with its WeasyPrint and layout warnings."""
    slug = project.config.slug
    if name == "draft":
        geometry = draft_geometry(project)
        previous = version.describe_rev(project.root, against) if against else None
        result = draft.render(project, fragments, checked, version.describe(project.manuscript_dir), previous)
        path = out / f"{slug}-draft.pdf"
    else:
        geometry = page_geometry(project)
        result = pdf.render(project, fragments, "book.html.j2", geometry, press=name == "press")
        path = out / (f"{slug}.pdf" if name == "pdf" else f"{slug}-press.pdf")
    product = Product(name, path, result.data, result.pages)
    warnings = [Finding("B002", path, 0, 0, f"WeasyPrint: {w}") for w in result.warnings]
    warnings += [Finding(code, path, 0, 0, message, page=page) for code, page, message in result.findings]  # HOOK(figtab): L008/L009
    text_block = (geometry["top"], geometry["height"] - geometry["bottom"])
    warnings += layout.check(result.pages, path, text_block, _previous_signature(product))
    return product, warnings


def _previous_signature(product: Product) -> list[str] | None:
    try:
        return list(json.loads(product.signature_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
