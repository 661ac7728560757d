"""The pipeline, stage by stage: config, manuscript, check, convert, render, write.

Nothing is written until every product has been made in memory, so a build that fails at
any stage leaves the previous outputs exactly as they were.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from folio import epub, pdf
from folio.check import check_book
from folio.config import Project, load_project, page_size_pt
from folio.errors import ManuscriptError
from folio.findings import Finding
from folio.fragment import Fragment, build_fragment
from folio.manuscript import Chapter
from folio.outputs import write_atomic
from folio.pandoc import chapter_to_html

FORMATS = ("pdf", "epub", "draft")


@dataclass
class Product:
    format: str
    path: Path
    data: bytes
    pages: int = 0


@dataclass
class BuildReport:
    products: list[Product]
    warnings: list[Finding] = field(default_factory=list)


def build(project_dir: Path, formats: tuple[str, ...] = FORMATS, out_dir: Path | None = None, strict: bool = False) -> BuildReport:
    project = load_project(project_dir)
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
    if name == "pdf":
        result = pdf.render(project, fragments, "book.html.j2")
        path = out / f"{slug}.pdf"
    elif name == "draft":
        width, height = page_size_pt(project.config.draft.paper)
        result = pdf.render(project, fragments, "draft.html.j2", draft_page={"width": width, "height": height})
        path = out / f"{slug}-draft.pdf"
    else:
        raise ValueError(name)
    warnings += [Finding("B002", path, 0, 0, f"WeasyPrint: {w}") for w in result.warnings]
    return Product(name, path, result.data, result.pages)
