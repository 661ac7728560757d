"""The pipeline, stage by stage: config, manuscript, check, convert, render, write.

Nothing is written until every product has been made in memory, so a build that fails at
any stage leaves the previous outputs exactly as they were.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from folio import epub, layout, pdf
from folio.check import check_book
from folio.config import DEFAULT_FORMATS, Project, draft_geometry, load_project, page_geometry
from folio.errors import ManuscriptError
from folio.findings import Finding
from folio.fragment import Fragment, build_fragment
from folio.manuscript import Chapter
from folio.outputs import write_atomic
from folio.pandoc import chapter_to_html


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


def build(project_dir: Path, formats: tuple[str, ...] = DEFAULT_FORMATS, out_dir: Path | None = None, strict: bool = False) -> BuildReport:
    project = load_project(project_dir)
    if project.config.print.press and "pdf" in formats and "press" not in formats:
        formats = (*formats, "press")
    checked = check_book(project)
    checked.raise_if_failing(strict)
    out = (out_dir or project.root / "build").resolve()
    fragments, warnings = convert(project, checked.chapters, out / ".cache")
    report = BuildReport([], checked.warnings + warnings)
    for name in formats:
        report.products.append(render(project, fragments, name, out, report.warnings))
    if strict and report.warnings:
        raise ManuscriptError(report.warnings)
    for product in report.products:
        write_atomic(product.path, product.data)
        if product.pages:
            write_atomic(product.signature_path, product.signature())
    return report


def convert(project: Project, chapters: list[Chapter], cache_dir: Path) -> tuple[list[Fragment], list[Finding]]:
    """Pandoc, once per chapter, in parallel (it runs as a subprocess); cached by content."""
    config = project.config

    def one(chapter: Chapter) -> tuple[Fragment, list[Finding]]:
        result = chapter_to_html(chapter.body, f"{chapter.id}-", config.language, project.bibliography_path, project.csl_path, cache_dir)
        warnings = [Finding("B001", chapter.path, chapter.body_line, 0, f"pandoc: {w}") for w in result.warnings]
        return build_fragment(chapter, result.html), warnings

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(one, chapters))
    return [fragment for fragment, _ in results], [w for _, warnings in results for w in warnings]


def render(project: Project, fragments: list[Fragment], name: str, out: Path, warnings: list[Finding]) -> Product:
    slug = project.config.slug
    if name == "epub":
        return Product(name, out / f"{slug}.epub", epub.render(project, fragments))
    if name in ("pdf", "press"):
        geometry = page_geometry(project)
        result = pdf.render(project, fragments, "book.html.j2", geometry, press=name == "press")
        path = out / (f"{slug}.pdf" if name == "pdf" else f"{slug}-press.pdf")
    elif name == "draft":
        geometry = draft_geometry(project)
        result = pdf.render(project, fragments, "draft.html.j2", geometry)
        path = out / f"{slug}-draft.pdf"
    else:
        raise ValueError(name)
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
