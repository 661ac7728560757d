"""The pipeline, stage by stage: config, checks, text, layout, formats, write.

1. the project: book.yaml read and validated, with what the requested formats need from it;
2. the checks (checks/book.py): manuscript, sources, marks; the book converted by Pandoc, its links;
3. the text the formats need: the book's fragments, the review fragments (text/convert.py);
4. the layouts and the formats (formats/): laid-out products side by side in worker processes;
5. the layout checks on every laid-out product;
6. writing: nothing is written until every product has been made in memory, and each is written
   atomically, so a build that fails at any stage leaves the previous outputs as they were.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from folio import formats
from folio.checks import layout, resolution
from folio.checks.book import check_book
from folio.checks.findings import Finding, silence
from folio.errors import ConfigError, ManuscriptError
from folio.formats import PRINT, REGISTRY, REVIEW, Format, Inputs, Options, Rendered
from folio.formats.output import write_atomic
from folio.project import contain
from folio.project.config import Project, load_project
from folio.project.lock import build_lock
from folio.render import math
from folio.render.weasy import Laid
from folio.text.convert import convert, review_text

T = TypeVar("T")


@dataclass
class Product:
    format: str
    path: Path
    data: bytes
    pages: int = 0

    @property
    def signature_path(self) -> Path:
        """Where the first words of each page are kept, to tell next time which breaks moved."""
        return self.path.parent / ".cache" / f"{self.path.name}.pages.json"


@dataclass
class BuildReport:
    products: list[Product]
    warnings: list[Finding] = field(default_factory=list)
    silenced: list[Finding] = field(default_factory=list)


def build(
    project_dir: Path,
    requested: tuple[str, ...] = (),
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    release: bool = False,
    against: str | None = None,
    validate: bool = True,
) -> BuildReport:
    """Build these formats (the registry's defaults when none are named)."""
    project = load_project(project_dir)
    wanted = wanted_formats(project, requested)
    require(project, wanted)
    out = (out_dir or project.root / "build").resolve()

    # HOOK(contain): one build of OUT at a time (project/lock.py); remote resources as book.yaml says (project/contain.py)
    with build_lock(out), contain.remote_resources(project.config.remote_resources):
        checked = check_book(project, out / ".cache", strict=strict, release=release)
        checked.raise_if_failing(strict, release)
        inputs = Inputs(project, checked, out, Options(strict, release, against, validate), book=checked.fragments)
        findings = list(checked.warnings)
        if REVIEW in formats.needs(wanted):
            inputs.review, warnings = convert(project, checked.chapters, out / ".cache", review_text(project, against))
            findings += [w for w in warnings if w not in findings]

        math.warm(f.html for f in [*inputs.book, *inputs.review])  # formulas drawn once, before the layout workers fork
        rendered = render_all(wanted, inputs)
        if inputs.print is not None:  # images at their printed size; below 150 ppi stops a --release build
            findings += resolution.check(inputs.print.data, REGISTRY["pdf"].path(out, project.config.slug), release)
        report = BuildReport([], [], list(checked.silenced))
        for name, result in rendered.items():
            product = Product(name, REGISTRY[name].path(out, project.config.slug), result.data, len(result.pages))
            findings += layout_findings(product, result)
            if validate:  # "built" means "valid": a product its validator rejects is not written
                findings += REGISTRY[name].validate(inputs, result, product.path)
            report.products.append(product)
        report.warnings, silenced = silence(findings, project.config.allow)
        report.silenced += silenced
        if any(f.fails(strict) for f in report.warnings):
            raise ManuscriptError(report.warnings)

        for product, result in zip(report.products, rendered.values(), strict=True):
            write_atomic(product.path, product.data)
            if result.pages:
                signature = [page.first_words for page in result.pages]
                write_atomic(product.signature_path, json.dumps(signature, ensure_ascii=False, indent=0).encode("utf-8"))
        return report


def wanted_formats(project: Project, requested: tuple[str, ...]) -> list[str]:
    """The formats to make: those asked for, or the defaults; the printer's file with the PDF when
    book.yaml says print.press."""
    wanted = list(dict.fromkeys(requested or formats.default_formats()))
    unknown = [name for name in wanted if name not in REGISTRY]
    if unknown:
        raise ConfigError(f"unknown format(s): {', '.join(unknown)} (choose from {', '.join(REGISTRY)})")
    if project.config.print.press and "pdf" in wanted and "press" not in wanted:
        wanted.append("press")
    return wanted


def require(project: Project, wanted: list[str]) -> None:
    """What the requested formats need from book.yaml beyond what every build needs, checked
    before anything is converted or laid out."""
    problems = [problem for name in wanted for problem in REGISTRY[name].requirements(project)]
    if problems:
        raise ConfigError("\n".join(problems))


def render_all(wanted: list[str], inputs: Inputs) -> dict[str, Rendered]:
    """Every format, in the order asked. The print layout, when a format needs it, and the formats
    that are laid out on their own run side by side in worker processes (WeasyPrint keeps one core
    busy); the formats that need the print layout follow it."""
    chosen = [REGISTRY[name] for name in wanted]
    alone = [f for f in chosen if f.lays_out and PRINT not in f.needs]
    needs_print = PRINT in formats.needs(wanted)
    rendered: dict[str, Rendered] = {}
    with _executor(len(alone) + needs_print) as pool:
        print_layout = pool.submit(lay_out_print, inputs) if needs_print else None
        futures = {f.name: pool.submit(render_one, f, inputs) for f in alone}
        if print_layout is not None:
            inputs.print = print_layout.result()
        rendered.update({f.name: render_one(f, inputs) for f in chosen if f not in alone})
        rendered.update({name: future.result() for name, future in futures.items()})
    return {name: rendered[name] for name in wanted}


def _executor(jobs: int) -> Executor:
    """Worker processes when there is more than one job and more than one core; else this process."""
    workers = min(jobs, os.cpu_count() or 1)
    if workers > 1:
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    return _InProcess()


class _InProcess(Executor):
    """Runs each job at once, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def lay_out_print(inputs: Inputs) -> Laid:
    from folio.formats.pdf import lay_out_print

    return lay_out_print(inputs.project, inputs.book)


def render_one(fmt: Format, inputs: Inputs) -> Rendered:
    result: Rendered = fmt.load().render(inputs)
    return result


def layout_findings(product: Product, result: Rendered) -> list[Finding]:
    """What WeasyPrint warned about while laying the product out, and what the layout checks find
    on its pages (page breaks that moved are told against the last build's)."""
    findings = [Finding("B002", product.path, 0, 0, f"WeasyPrint: {w}") for w in result.layout_warnings]
    findings += [Finding(code, product.path, 0, 0, message, page=page) for code, page, message in result.page_findings]
    if result.pages and result.geometry:
        findings += layout.check(result.pages, product.path, result.geometry.text_block, _previous_signature(product))
    return findings


def _previous_signature(product: Product) -> list[str] | None:
    try:
        return list(json.loads(product.signature_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
