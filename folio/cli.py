"""The command line. main(argv) -> exit code; Folio's own errors never show a traceback."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from folio import __version__
from folio.errors import EXIT_OK, EXIT_USAGE, FolioError, ManuscriptError
from folio.project.config import DEFAULT_FORMATS, FORMATS


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project", type=Path, default=Path("."), metavar="DIR", help="the book's folder, holding manuscript/ (default: .)"
    )
    top = argparse.ArgumentParser(prog="folio", description="Build a book from Markdown: print PDF, EPUB 3 and review draft.")
    top.add_argument("--version", action="version", version=f"folio {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", parents=[common], help="check the manuscript, then build the outputs")
    build.add_argument(
        "formats",
        nargs="*",
        choices=[*FORMATS, []],
        metavar="FORMAT",
        help=f"any of {', '.join(FORMATS)} (default: {' '.join(DEFAULT_FORMATS)})",
    )
    build.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: PROJECT/build)")
    build.add_argument("--press", action="store_true", help="with pdf: also the printer's PDF/X file with bleed and crop marks")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--release", action="store_true", help="refuse to build while editorial marks (CriticMarkup) remain")
    build.add_argument("--against", metavar="REV", help="with draft: mark the changes since this git revision (a redline)")
    check = commands.add_parser("check", parents=[common], help="check the manuscript, its citations and links; write no outputs")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    from folio.checks import preflight
    from folio.tools import proof

    preflight.add_arguments(commands.add_parser("preflight", help="check any PDF as a printer would"))
    proof.add_arguments(commands.add_parser("proof", help="a PNG contact sheet of a PDF's pages as spreads"))
    return top


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        if args.command == "check":
            return cmd_check(args.project, args.strict)
        if args.command in ("preflight", "proof"):
            from folio.checks import preflight
            from folio.tools import proof

            return {"preflight": preflight, "proof": proof}[args.command].run(args)
        formats = tuple(dict.fromkeys(args.formats)) or DEFAULT_FORMATS
        if args.press:
            formats = tuple(dict.fromkeys([*formats, "press"]))
        return cmd_build(args.project, formats, args.out, strict=args.strict, release=args.release, against=args.against)
    except ManuscriptError as exc:
        for finding in exc.findings:
            print(finding.format((args.project or Path(".")).resolve()), file=sys.stderr)
        errors = sum(f.is_error for f in exc.findings)
        if exc.reason:
            print(f"folio: {exc.reason}", file=sys.stderr)
        print(f"folio: {errors} error(s), {len(exc.findings) - errors} warning(s); nothing was written", file=sys.stderr)
        return exc.exit_code
    except FolioError as exc:
        print(f"folio: {exc}", file=sys.stderr)
        return exc.exit_code


def cmd_check(project_dir: Path, strict: bool) -> int:
    from folio.checks.book import check_book
    from folio.project.config import load_project

    project = load_project(project_dir)
    checked = check_book(project)
    findings = checked.findings
    if not checked.errors:
        from folio.text.convert import convert

        # Links between chapters can only be checked on Pandoc's output (its heading ids).
        # HOOK(mathcode): so can formulas, M011/M012 (only Pandoc reads the TeX).
        found = convert(project, checked.chapters, project.root / "build" / ".cache")[1]
        findings = findings + [f for f in found if f.code in ("M008", "M011", "M012")]
    for finding in findings:
        print(finding.format(project.root))
    counts = f"{len(checked.chapters)} chapter(s), {len(checked.citations)} citation(s), {len(checked.references)} source(s)"
    errors = sum(f.is_error for f in findings)
    print(f"{counts}: {errors} error(s), {len(findings) - errors} warning(s)")
    return 1 if errors or (strict and findings) else EXIT_OK


def cmd_build(project_dir: Path, formats: tuple[str, ...], out_dir: Path | None, **options: Any) -> int:
    from folio.build import build

    started = time.perf_counter()
    report = build(project_dir, formats, out_dir, **options)
    for warning in report.warnings:
        print(warning.format(project_dir.resolve()), file=sys.stderr)
    for product in report.products:
        pages = f" ({len(product.pages)} pages)" if product.pages else ""
        print(f"wrote {product.path}{pages}")
    print(f"built in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
