"""The pipeline, stage by stage: config, checks, text, layout, formats, write.

1. the project: book.yaml read and validated, with what the requested formats need from it;
   when the inputs are those of the last successful build of the same request and its outputs are
   intact, the build is up to date: it replays that build's report and stops (folio/manifest.py);
2. the checks (checks/book.py): manuscript, sources, marks; the book converted by Pandoc, its links;
3. the text the formats need: the book's fragments, the review fragments (text/convert.py);
4. the layouts and the formats (formats/): each layout a part at a time in worker processes;
5. the layout checks on every laid-out product (after an edit, the print layout's own checks run
   in a worker while the formats are made from it);
6. writing: nothing is written until every product has been made in memory, and each is written
   atomically, so a build that fails at any stage leaves the previous outputs as they were; then
   the build's record, for the next build to compare against.

This module imports only what stage 1 needs: Pandoc's wrapper, WeasyPrint and ziamath (a second
of imports) come in with the stages that use them, so that an up-to-date build never loads them.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from folio import formats, heap, manifest, progress
from folio.checks.findings import Finding, silence
from folio.errors import ConfigError, ManuscriptError
from folio.formats import PRINT, REGISTRY, REVIEW, Format, Inputs, Options, Rendered
from folio.formats.output import write_atomic
from folio.project import contain
from folio.project.config import Project, load_project
from folio.project.lock import build_lock
from folio.workers import PAGES_A_JOB, Beside

if TYPE_CHECKING:
    from folio.checks.book import Checked
    from folio.render.layout import Laid, Page


@dataclass
class Product:
    format: str
    path: Path
    data: bytes
    pages: int = 0

    @property
    def signature_path(self) -> Path:
        return signature_path(self.path)


def signature_path(output: Path) -> Path:
    """Where the first words of each page of an output are kept, to tell next time which breaks moved."""
    return output.parent / ".cache" / f"{output.name}.pages.json"


@dataclass
class BuildReport:
    """What a build made and found. `outputs` are as --json reports them (format, path, bytes,
    pages, sha256); an up-to-date build has no products in memory, only the outputs on disk."""

    products: list[Product]
    warnings: list[Finding] = field(default_factory=list)
    silenced: list[Finding] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    up_to_date: bool = False
    chapters: list[dict[str, Any]] = field(default_factory=list)
    """Each chapter: its file, title, notes and citations."""
    stages: dict[str, float] = field(default_factory=dict)
    """Seconds each stage took, in order."""
    cache: dict[str, Any] = field(default_factory=dict)
    """Cache hits and misses by kind, pages laid out (progress.Progress.counts)."""

    @classmethod
    def replayed(cls, record: manifest.Record) -> BuildReport:
        """The report of the build that made the outputs as they are, for a build with nothing to do."""
        return cls([], record.warnings, record.silenced, record.outputs, True, list(record.report.get("chapters", [])))

    def record(self) -> manifest.Record:
        return manifest.Record("", self.outputs, self.warnings, self.silenced, {"chapters": self.chapters})

    def to_json(self, root: Path) -> dict[str, Any]:
        """The report `folio build --json` prints; paths of findings relative to the project."""
        return {
            "ok": True,
            "up_to_date": self.up_to_date,
            "products": self.outputs,
            "chapters": self.chapters,
            "stages": self.stages,
            "seconds": round(sum(self.stages.values()), 3),
            "cache": self.cache,
            "findings": [f.to_json(root) for f in self.warnings],
            "silenced": [f.to_json(root) for f in self.silenced],
        }


class Stages:
    """The time each stage of the build takes; each stage is told to the progress listener too."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int = 0) -> Iterator[None]:
        progress.stage(name, total)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)


def build(
    project_dir: Path,
    requested: tuple[str, ...] = (),
    out_dir: Path | None = None,
    *,
    strict: bool = False,
    release: bool = False,
    against: str | None = None,
    validate: bool = True,
    jobs: int = 0,
    press: bool = True,
    listener: progress.Progress | None = None,
    checked: tuple[str, Checked] | None = None,
) -> BuildReport:
    """Build these formats (the registry's defaults when none are named); nothing, and say so,
    when the last build of the same request made them from the same inputs. `press=False`: not
    the printer's file that book.yaml's `print.press` adds to the PDF (the preview's PDF, which
    the author reads, not the printer). `listener` is told what the build does as it goes
    (progress.py); by default it is only counted. `checked`: a check of the manuscript made
    already, with the digest of the input files it was made from (manifest.files_digest): `folio
    serve` checks the book for its page, and its PDF worker builds from that check instead of
    making it again, as long as the files still hash the same."""
    clock = Stages()
    with progress.listening(listener or progress.Progress()) as counted:
        with clock.stage("reading inputs"):
            project = load_project(project_dir)
            wanted = wanted_formats(project, requested, press)
            out = (out_dir or project.root / "build").resolve()
            options = Options(strict, release, against, validate, jobs)
        # One build of OUT at a time (project/lock.py); remote resources as book.yaml says (project/contain.py).
        with build_lock(out), contain.remote_resources(project.config.remote_resources):
            previous, key = manifest.recorded(project, wanted, out, options)
            progress.cache("build", previous is not None)
            if previous is not None:
                report = BuildReport.replayed(previous)
            else:
                made = checked[1] if checked and key and checked[0] == manifest.files_digest(key.files) else None
                report = make(project, wanted, out, options, clock, made)
                if key is not None:
                    manifest.record(manifest.manifest_path(out, wanted, options), key, report.record())
        report.stages, report.cache = clock.seconds, counted.counts()
    return report


def make(project: Project, wanted: list[str], out: Path, options: Options, clock: Stages, made: Checked | None = None) -> BuildReport:
    """The build proper: check (unless `made` is that check, of the same files), convert, lay
    out, check the layouts, write."""
    from folio.checks.book import check_book
    from folio.render import math
    from folio.text.convert import convert, review_text

    strict, release, validate = options.strict, options.release, options.validate
    require(project, wanted)
    warm = import_weasyprint if layouts(wanted) else None  # 0.2 s, taken while Pandoc converts (both wait otherwise)
    with clock.stage("checking and converting chapters", len(project.chapter_paths)):
        if made is not None and made.fragments:
            checked = made
        else:
            checked = check_book(project, out / ".cache", strict=strict, release=release, meanwhile=warm)
        checked.raise_if_failing(strict, release)
    inputs = Inputs(project, checked, out, options, book=checked.fragments)
    findings = list(checked.warnings)
    if REVIEW in formats.needs(wanted):
        with clock.stage("converting chapters for review", len(checked.chapters)):
            inputs.review, warnings = convert(project, checked.chapters, out / ".cache", review_text(project, options.against))
            findings += [w for w in warnings if w not in findings]

    with ExitStack() as running:  # after an edit, the print layout's checks and EPUBCheck run beside the rest (`checked_beside`)
        with clock.stage("laying out", len(layouts(wanted))):
            math.warm(f.html for f in [*inputs.book, *inputs.review])  # formulas drawn once, before the layout workers fork
            if PRINT in layouts(wanted):
                inputs.print = lay_out_print(inputs)
                progress.pages(len(inputs.print.pages))
                progress.step()
            beside = checked_beside(inputs, wanted)
            print_checks = running.enter_context(Beside(lambda: check_print(inputs, wanted), beside=beside))
            apart = running.enter_context(ThreadPoolExecutor(1)) if beside else None
            rendered, checking = render_all(wanted, inputs, apart)
        with clock.stage("checking the layouts"):
            findings += print_checks.result()
            pages = inputs.print.pages if inputs.print is not None else None
            report = BuildReport([], [], list(checked.silenced), chapters=chapter_report(project, checked, pages))
            for name, result in rendered.items():
                product = Product(name, REGISTRY[name].path(out, project.config.slug), result.data, len(result.pages))
                findings += layout_findings(product, result)
                if name in checking:
                    findings += checking[name].result()
                elif validate and name not in PRINT_AS_LAID:  # "built" means "valid": a product its validator rejects is not written
                    findings += REGISTRY[name].validate(inputs, result, product.path)
                report.products.append(product)
            findings = told_once(findings, report.products)
            report.warnings, silenced = silence(findings, project.config.allow)
            report.silenced += silenced
            if any(f.fails(strict) for f in report.warnings):
                raise ManuscriptError(report.warnings)

    with clock.stage("writing", len(report.products)):
        for product, result in zip(report.products, rendered.values(), strict=True):
            write_atomic(product.path, product.data)
            if result.pages:
                signature = [page.first_words for page in result.pages]
                write_atomic(product.signature_path, json.dumps(signature, ensure_ascii=False, indent=0).encode("utf-8"))
            progress.step()
    report.outputs = [manifest.output_entry(p.format, p.path, p.data, p.pages) for p in report.products]
    return report


SAME_PAGES = {"press": "pdf"}
"""The printer's file is the print PDF's pages on a larger sheet: what is found on a page of both."""


def told_once(findings: list[Finding], products: list[Product]) -> list[Finding]:
    """A finding on a page of the printer's file that the print PDF has too (a loose line, a glyph
    past the margin) is told once, against the print PDF, when the build makes both."""
    paths = {product.format: product.path for product in products}
    for copy, original in SAME_PAGES.items():
        if copy in paths and original in paths:
            told = {(f.code, f.page, f.message) for f in findings if f.path == paths[original]}
            findings = [f for f in findings if f.path != paths[copy] or (f.code, f.page, f.message) not in told]
    return findings


def chapter_report(project: Project, checked: Checked, pages: list[Page] | None = None) -> list[dict[str, Any]]:
    """Each chapter (front and back matter too) in reading order: file, id, title, notes, citations,
    and, when the build laid out the print PDF (`pages`), the page it starts on there (the front
    matter's pages belong to no chapter: none for them)."""
    cited = Counter(citation.path for citation in checked.citations)
    starts: dict[str, int] = {}
    for page in pages or []:
        if page.chapter:
            starts.setdefault(page.chapter, page.number)
    return [
        {
            "path": str(f.chapter.path.relative_to(project.root)),
            "id": f.chapter.id,
            "title": f.chapter.title,
            "notes": len(f.notes),
            "citations": cited[f.chapter.path],
            **({"page": starts[f.chapter.id]} if f.chapter.id in starts else {}),
        }
        for f in checked.fragments
    ]


def wanted_formats(project: Project, requested: tuple[str, ...], press: bool = True) -> list[str]:
    """The formats to make: those asked for, or the defaults; the printer's file with the PDF when
    book.yaml says print.press (and `press` does not say no)."""
    wanted = list(dict.fromkeys(requested or formats.default_formats()))
    unknown = [name for name in wanted if name not in REGISTRY]
    if unknown:
        raise ConfigError(f"unknown format(s): {', '.join(unknown)} (choose from {', '.join(REGISTRY)})")
    if press and project.config.print.press and "pdf" in wanted and "press" not in wanted:
        wanted.append("press")
    return wanted


def require(project: Project, wanted: list[str]) -> None:
    """What the requested formats need from book.yaml beyond what every build needs, checked
    before anything is converted or laid out."""
    problems = [problem for name in wanted for problem in REGISTRY[name].requirements(project)]
    if problems:
        raise ConfigError("\n".join(problems))


def import_weasyprint() -> None:
    """WeasyPrint imported ahead of the layouts that need it (render/weasy.py, its one door)."""
    import folio.render.weasy  # noqa: F401


def render_all(
    wanted: list[str], inputs: Inputs, apart: ThreadPoolExecutor | None = None
) -> tuple[dict[str, Rendered], dict[str, Future[list[Finding]]]]:
    """Every format, in the order asked, from the print layout made already (when a format needs
    it), and the validations started on the way. The formats laid out on their own (the draft)
    come first, each laid out a part at a time in `Options.jobs` worker processes (render/parts.py).
    With `apart` (after an edit, `checked_beside`), a format validated by another program
    (EPUBCheck) comes before them, and its validation runs in that thread meanwhile."""
    chosen = [REGISTRY[name] for name in wanted]
    rendered: dict[str, Rendered] = {}
    checking: dict[str, Future[list[Finding]]] = {}
    if apart is not None and inputs.options.validate:
        for f in [f for f in chosen if f.checked_apart]:
            rendered[f.name] = render_one(f, inputs)
            checking[f.name] = apart.submit(f.validate, inputs, rendered[f.name], f.path(inputs.out, inputs.project.config.slug))
    for f in [f for f in chosen if f.lays_out and PRINT not in f.needs]:
        rendered[f.name] = render_one(f, inputs)
        progress.pages(len(rendered[f.name].pages))
        progress.step()
    for f in [f for f in chosen if f.name not in rendered]:
        rendered[f.name] = render_one(f, inputs)
    return {name: rendered[name] for name in wanted}, checking


def layouts(wanted: list[str]) -> list[str]:
    """The layouts these formats take: the print layout (shared by the formats that need it), and
    each format laid out on its own."""
    alone = [name for name in wanted if REGISTRY[name].lays_out and PRINT not in REGISTRY[name].needs]
    return [PRINT, *alone] if PRINT in formats.needs(wanted) else alone


PRINT_AS_LAID = {"pdf"}
"""The formats that are the print layout as it was laid out: checked with it (`check_print`)."""


def check_print(inputs: Inputs, wanted: list[str]) -> list[Finding]:
    """The print layout's checks: its images at their printed size (below 150 ppi stops a --release
    build), and the validation of the formats that are the layout as laid out (the print PDF's
    preflight), when the build makes them and validates."""
    from folio.checks import resolution

    if inputs.print is None:
        return []
    project, options, laid = inputs.project, inputs.options, inputs.print
    placed = (
        resolution.placed_in_parts(laid.pieces, laid.data, inputs.out / ".cache" / "resolution")
        if laid.pieces
        else resolution.placed_images(laid.data)
    )
    findings = resolution.check(placed, REGISTRY["pdf"].path(inputs.out, project.config.slug), options.release)
    for name in [name for name in wanted if name in PRINT_AS_LAID and options.validate]:
        fmt = REGISTRY[name]
        findings += fmt.validate(inputs, render_one(fmt, inputs), fmt.path(inputs.out, project.config.slug))
    return findings


def checked_beside(inputs: Inputs, wanted: list[str]) -> bool:
    """Whether the print layout is checked in a worker while the other formats are made from it: when
    there are others (the printer's file; not for the PDF alone, as the preview builds it), this
    build laid out few of its pages (an edit) and it has more than one job. A build that laid out
    many keeps every core busy in each step already, each in its own workers."""
    laid = inputs.print
    jobs = inputs.options.jobs or os.cpu_count() or 1
    others = [name for name in wanted if name not in PRINT_AS_LAID]
    return laid is not None and bool(others) and jobs > 1 and (laid.fresh_pages or 0) < PAGES_A_JOB


def lay_out_print(inputs: Inputs) -> Laid:
    from folio.formats.pdf import lay_out_print

    # HOOK(parts): the print layout a part at a time, in Options.jobs workers, its parts cached under OUT/.cache/layout
    return lay_out_print(inputs.project, inputs.book, jobs=inputs.options.jobs, cache_dir=inputs.out / ".cache")


def render_one(fmt: Format, inputs: Inputs) -> Rendered:
    result: Rendered = fmt.load().render(inputs)
    heap.give_back()  # what making it freed (a whole book's objects in QPDF, for the PDFs): folio/heap.py
    return result


def layout_findings(product: Product, result: Rendered) -> list[Finding]:
    """What WeasyPrint warned about while laying the product out, and what the layout checks find
    on its pages (page breaks that moved are told against the last build's)."""
    from folio.checks import layout

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
