"""The command line: one parser for every command, and one place that turns errors into exit codes.

main(argv) -> exit code; Folio's own errors never show a traceback, nor does Ctrl-C or a polite
kill (SIGTERM), which stop the worker processes too. `run` is the `folio` command: main, then out.
The formats, their names and what each is for come from the registry (folio/formats/__init__.py).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
import threading
import time
from pathlib import Path

from folio import __version__
from folio.errors import EXIT_MANUSCRIPT, EXIT_OK, EXIT_USAGE, ConfigError, FolioError, ManuscriptError
from folio.formats import REGISTRY, default_formats
from folio.project.config import Margins, length_pt, page_size_pt
from folio.stopping import Stopping


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder, holding manuscript/ (default: .)"
    )
    common.add_argument("--strict", action="store_true", help="treat warnings as errors")
    common.add_argument("--json", action="store_true", help="print the report as JSON")
    top = argparse.ArgumentParser(prog="folio", description="Build a book from Markdown: print PDF, EPUB 3 and review draft.")
    top.add_argument("--version", action="version", version=f"folio {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    formats = "; ".join(f"{f.name}: {f.title}" for f in REGISTRY.values())
    build = commands.add_parser("build", parents=[common], help="check the manuscript, then build the outputs")
    build.add_argument(
        "formats",
        nargs="*",
        choices=[*REGISTRY, []],
        metavar="FORMAT",
        help=f"any of {formats} (default: {' '.join(default_formats())})",
    )
    build.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: PROJECT/build)")
    build.add_argument("--press", action="store_true", help="with pdf: also the printer's PDF/X file with bleed and crop marks")
    build.add_argument("--release", action="store_true", help="refuse to build while editorial marks (CriticMarkup) remain")
    build.add_argument("--against", metavar="REV", help="make the review copies a redline of the changes since this git revision")
    build.add_argument(
        "--no-validate", dest="validate", action="store_false", help="skip the products' validators (EPUBCheck) for a quick local build"
    )

    # How a build runs (not what it makes): workers, and how much it tells.
    build.add_argument("--jobs", type=_jobs, default=0, metavar="N", help="worker processes for the layouts (default: 0, one per core)")
    build.add_argument("--quiet", action="store_true", help="print only the findings: no progress, no list of outputs")

    clean = commands.add_parser("clean", help="empty the build cache (OUT/.cache); the outputs stay")
    clean.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder, holding manuscript/ (default: .)")
    clean.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: PROJECT/build)")
    clean.add_argument("--all", action="store_true", help="remove the outputs Folio made too")

    check = commands.add_parser("check", parents=[common], help="check the manuscript, its citations and links; write no outputs")
    check.add_argument("--out", type=Path, metavar="DIR", help="keep Pandoc's output in DIR/.cache for a build (default: write nothing)")

    preflight = commands.add_parser("preflight", help="check any PDF as a printer would")
    preflight.add_argument("pdf", type=Path, metavar="FILE.pdf")
    preflight.add_argument("--trim", metavar="SIZE", help="expected trim size: a name (6x9in, A5) or 'WIDTH HEIGHT' (default: not checked)")
    preflight.add_argument("--bleed", default="0pt", metavar="LENGTH", help="expected bleed on every side, e.g. 0.125in (default: none)")
    preflight.add_argument("--margins", metavar="TOP,BOTTOM,INNER,OUTER", help="text block margins, e.g. 0.75in,0.85in,0.875in,0.625in")
    preflight.add_argument("--project", type=Path, metavar="DIR", help="take trim, margins and bleed from DIR's book.yaml")
    preflight.add_argument("--press", action="store_true", help="with --project: expect the printer's file's bleed")
    preflight.add_argument("--json", action="store_true", help="print the report as JSON")
    preflight.add_argument("--strict", action="store_true", help="treat warnings as errors")

    proof = commands.add_parser("proof", help="a PNG contact sheet of a PDF's pages as spreads")
    proof.add_argument("pdf", type=Path, metavar="FILE.pdf")
    proof.add_argument("-o", "--out", type=Path, metavar="OUT.png", help="where to write the PNG (default: FILE-proof.png beside the PDF)")
    proof.add_argument("--columns", type=int, default=4, metavar="N", help="spreads a row (default: 4)")
    proof.add_argument("--height", type=int, default=300, metavar="PX", help="page height in pixels (default: 300)")

    # The ways in: each a tool module with its own add_arguments(parser) and run(args) -> int.
    from folio.tools import bench, importer, new

    new.add_arguments(commands.add_parser("new", help="make a starter book in a new folder"))
    importer.add_arguments(commands.add_parser("import", help="make a Folio project from a single-file Pandoc manuscript"))
    bench.add_arguments(commands.add_parser("bench", help="time Folio against Pandoc + WeasyPrint on books of 1 to 160 chapters"))

    # folio serve: a live preview on 127.0.0.1 (folio/tools/serve.py, imported only to serve).
    serve = commands.add_parser("serve", help="preview the book in a browser; it follows each save (127.0.0.1 only)")
    serve.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder, holding manuscript/ (default: .)")
    serve.add_argument("--port", type=int, default=8000, metavar="N", help="port on 127.0.0.1 (default: 8000; 0: any free port)")
    serve.add_argument("--out", type=Path, metavar="DIR", help="output folder, where the PDF is rebuilt (default: PROJECT/build)")
    serve.add_argument("--no-pdf", dest="pdf", action="store_false", help="show the page only; do not rebuild the PDF in the background")
    return top


def run() -> None:
    """The `folio` command: `main` with the command line's arguments, then out of the process with
    its exit code. The interpreter is not taken down object by object, which took 0.1 s after a
    build that laid out a chapter: the functions registered to run at exit run, the standard
    streams are flushed, and the process ends (the system takes its memory back at once). While
    another thread still runs, it ends as Python ends, which waits for it."""
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    command = {
        "build": cmd_build,
        "check": cmd_check,
        "clean": cmd_clean,
        "preflight": cmd_preflight,
        "proof": cmd_proof,
        "new": cmd_new,
        "import": cmd_import,
        "bench": cmd_bench,
        "serve": cmd_serve,
    }[args.command]
    stopping = Stopping()
    try:
        return command(args)
    except KeyboardInterrupt:
        print("\nfolio: stopped; each output is the new one, whole, or the last one written before", file=sys.stderr)
        return 128 + stopping.signum
    except ManuscriptError as exc:
        root = (getattr(args, "project", None) or Path(".")).resolve()
        errors = sum(f.is_error for f in exc.findings)
        if getattr(args, "json", False):
            report = {"ok": False, "reason": exc.reason, "findings": [f.to_json(root) for f in exc.findings], "products": []}
            print(json.dumps(report, indent=2, ensure_ascii=False))
            return exc.exit_code
        for finding in exc.findings:
            print(finding.format(root), file=sys.stderr)
        if exc.reason:
            print(f"folio: {exc.reason}", file=sys.stderr)
        print(f"folio: {errors} error(s), {len(exc.findings) - errors} warning(s); nothing was written", file=sys.stderr)
        return exc.exit_code
    except FolioError as exc:
        print(f"folio: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        stopping.restore()


def cmd_build(args: argparse.Namespace) -> int:
    from folio import progress
    from folio.build import build
    from folio.checks.findings import silenced_summary

    started = time.perf_counter()
    formats = tuple(dict.fromkeys([*args.formats, *(["press"] if args.press else [])]))
    options = {"strict": args.strict, "release": args.release, "against": args.against, "validate": args.validate, "jobs": args.jobs}
    # Progress on a terminal only: a log or a pipe gets the findings and the outputs, not a redrawn line.
    shown = sys.stderr.isatty() and not (args.quiet or args.json)
    report = build(args.project, formats, args.out, **options, listener=progress.Display() if shown else None)
    root = args.project.resolve()
    if args.json:
        print(json.dumps(report.to_json(root), indent=2, ensure_ascii=False))
        return EXIT_OK
    for warning in report.warnings:
        print(warning.format(root), file=sys.stderr)
    if args.quiet:
        return EXIT_OK
    for output in report.outputs:
        pages = f" ({output['pages']} pages)" if output["pages"] else ""
        print(f"{'up to date:' if report.up_to_date else 'wrote'} {output['path']}{pages}")
    if summary := silenced_summary(report.silenced):
        print(summary)
    if report.up_to_date:
        print(f"up to date: nothing changed since the last build ({time.perf_counter() - started:.2f} s)")
    else:
        hits = sum(report.cache.get("hits", {}).values())
        print(f"built in {time.perf_counter() - started:.1f} s ({report.cache.get('pages laid out', 0)} pages laid out, {hits} cache hits)")
    return EXIT_OK


def _jobs(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of workers (0 for one per core)")
    return int(text)


def cmd_clean(args: argparse.Namespace) -> int:
    """Empty OUT/.cache (Pandoc's output, laid-out parts, build records); with --all, remove the
    outputs too, and OUT itself when nothing else is left in it. Only what Folio makes is removed."""
    import shutil

    from folio.project.config import load_project

    root = args.project.resolve()
    out = (args.out or root / "build").resolve()
    removed = []
    cache = out / ".cache"
    if cache.is_dir() and not cache.is_symlink():
        shutil.rmtree(cache)
        removed.append(cache)
    if args.all:
        slug = load_project(root).config.slug
        for fmt in REGISTRY.values():
            path = fmt.path(out, slug)
            if path.is_file():
                path.unlink()
                removed.append(path)
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print(f"nothing to remove in {out}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from folio.checks.book import check_book
    from folio.checks.findings import silenced_summary
    from folio.project.config import load_project

    project = load_project(args.project)
    checked = check_book(project, args.out.resolve() / ".cache" if args.out else None)
    findings = checked.findings
    errors = sum(f.is_error for f in findings)
    failed = any(f.fails(args.strict) for f in findings)
    if args.json:
        report = {
            "ok": not failed,
            "chapters": len(checked.chapters),
            "citations": len(checked.citations),
            "sources": len(checked.references),
            "findings": [f.to_json(project.root) for f in findings],
            "silenced": [f.to_json(project.root) for f in checked.silenced],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return EXIT_MANUSCRIPT if failed else EXIT_OK
    for finding in findings:
        print(finding.format(project.root))
    counts = f"{len(checked.chapters)} chapter(s), {len(checked.citations)} citation(s), {len(checked.references)} source(s)"
    silenced = silenced_summary(checked.silenced)
    print(f"{counts}: {errors} error(s), {len(findings) - errors} warning(s)" + (f"; {silenced}" if silenced else ""))
    return EXIT_MANUSCRIPT if failed else EXIT_OK


def cmd_preflight(args: argparse.Namespace) -> int:
    """Preflight a PDF and print the report; 1 when it fails."""
    from folio.checks.findings import WARNING
    from folio.checks.preflight import design_for, preflight
    from folio.project.config import load_project

    try:
        trim = page_size_pt(args.trim) if args.trim else None
        bleed = length_pt(args.bleed)
        margins = _margins(args.margins) if args.margins else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    design = None
    if args.project:
        # HOOK(finish): the page design comes from the PDF (a draft is checked against the draft's paper).
        design = design_for(args.pdf, load_project(args.project), args.press)
        trim = trim or design.trim
        margins = margins or design.margins
        bleed = design.bleed if args.press else bleed
    report = preflight(args.pdf, trim=trim, bleed=bleed, margins=margins, one_sided=bool(design and design.one_sided))
    report.design = design.name if design else ""
    print(report.to_json() if args.json else report.format_text())
    failed = not report.passed or (args.strict and report.count(WARNING) > 0)
    return EXIT_MANUSCRIPT if failed else EXIT_OK


def _margins(text: str) -> Margins:
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"--margins '{text}': give four lengths, TOP,BOTTOM,INNER,OUTER (e.g. 0.75in,0.85in,0.875in,0.625in)")
    return Margins(*(length_pt(p) for p in parts))


def cmd_proof(args: argparse.Namespace) -> int:
    from folio.tools.proof import proof_sheet

    out = args.out or args.pdf.with_name(f"{args.pdf.stem}-proof.png")
    try:
        proof_sheet(args.pdf, out, columns=args.columns, page_height_px=args.height)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    print(f"wrote {out}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from folio.tools import new

    return new.run(args)


def cmd_import(args: argparse.Namespace) -> int:
    from folio.tools import importer

    return importer.run(args)


def cmd_bench(args: argparse.Namespace) -> int:
    from folio.tools import bench

    return bench.run(args)


def cmd_serve(args: argparse.Namespace) -> int:
    from folio.tools import serve

    return serve.run(args)


if __name__ == "__main__":
    sys.exit(main())
