"""The pipeline, stage by stage: config, manuscript, check, convert, render, write.

Nothing is written until every product has been made in memory, so a build that fails at
any stage leaves the previous outputs exactly as they were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from folio import epub, layout, pdf
from folio.check import check_book
from folio.config import DEFAULT_FORMATS, Project, draft_geometry, load_project, page_geometry
from folio.convert import convert
from folio.errors import ManuscriptError
from folio.findings import Finding
from folio.fragment import Fragment
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


def build(project_dir: Path, formats: tuple[str, ...] = DEFAULT_FORMATS, out_dir: Path | None = None, strict: bool = False) -> BuildReport:
    project = load_project(project_dir)
    if project.config.print.press and "pdf" in formats and "press" not in formats:
        formats = (*formats, "press")
    checked = check_book(project)
    checked.raise_if_failing(strict)
    out = (out_dir or project.root / "build").resolve()
    fragments, findings = convert(project, checked.chapters, out / ".cache")
    if any(f.is_error for f in findings) or (strict and findings):
        raise ManuscriptError(checked.findings + findings)
    report = BuildReport([], checked.warnings + findings)
    laid_out: dict[str, Product] = {}
    for name in sorted(formats, key=lambda n: n == "epub"):  # the EPUB takes its page numbers from the print layout
        if name == "epub":
            print_pages = (laid_out.get("pdf") or render_pdf(project, fragments, "pdf", out, [])).pages
            report.products.append(Product(name, out / f"{project.config.slug}.epub", epub.render(project, fragments, print_pages)))
        else:
            laid_out[name] = render_pdf(project, fragments, name, out, report.warnings)
            report.products.append(laid_out[name])
    if strict and report.warnings:
        raise ManuscriptError(report.warnings)
    for product in report.products:
        write_atomic(product.path, product.data)
        if product.pages:
            write_atomic(product.signature_path, product.signature())
    return report


def render_pdf(project: Project, fragments: list[Fragment], name: str, out: Path, warnings: list[Finding]) -> Product:
    """Lay out one of the PDFs (pdf, press, draft); its layout warnings go into `warnings`."""
    slug = project.config.slug
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
