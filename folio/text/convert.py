"""Chapters to fragments: Pandoc once per chapter (in parallel, cached), reshaped, and the links
between chapters resolved. The one intermediate every format is rendered from.

What Pandoc reads of a chapter depends on the product: the book reads the text with its
editorial changes resolved (`book_text`); the review copies read them marked up, or the changes
since an earlier version as marks (`review_text`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from folio.checks.findings import Finding
from folio.errors import ConfigError
from folio.project.config import Project
from folio.project.manuscript import FRONT_MATTER, Chapter
from folio.text import critic, redline
from folio.text.fragment import Fragment, build_fragment
from folio.text.links import resolve_links
from folio.text.math import gather_line_breaks, unconverted_math
from folio.text.pandoc import Sources, chapter_to_html
from folio.tools import version

Prepare = Callable[[Chapter], str]


def convert(project: Project, chapters: list[Chapter], cache_dir: Path | None, prepare: Prepare) -> tuple[list[Fragment], list[Finding]]:
    """Every chapter's fragment, in reading order, and Pandoc's warnings. `prepare` gives the
    Markdown Pandoc reads of each chapter."""
    config = project.config
    sources = Sources(project.bibliography_path, project.csl_path)

    def one(chapter: Chapter) -> tuple[Fragment, list[Finding]]:
        body, gathered = gather_line_breaks(chapter, prepare(chapter))
        result = chapter_to_html(body, f"{chapter.id}-", config.language, sources, cache_dir)
        math_errors, other = unconverted_math(chapter, result.warnings)
        warnings = [Finding("B001", chapter.path, chapter.body_line, 0, f"pandoc: {w}") for w in other]
        return build_fragment(chapter, result.html), gathered + math_errors + warnings

    # Pandoc runs as a subprocess, so threads convert chapters side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(one, chapters))
    return resolve_links([f for f, _ in results]), [w for _, warnings in results for w in warnings]


def book_text(project: Project) -> Prepare:
    """How the book reads a chapter: its editorial changes accepted (or rejected, as book.yaml says)."""
    return lambda chapter: critic.apply(chapter.body, project.config.changes)


def review_text(project: Project, against: str | None) -> Prepare:
    """How the review copies read a chapter: its editorial marks marked up; with `against`, the
    words changed since that revision as marks instead (a chapter new since then is all inserted)."""
    if against is None:
        return lambda chapter: critic.apply(chapter.body, "markup")
    version.describe_rev(project.root, against)  # an unknown revision stops the build here

    def changes_since(chapter: Chapter) -> str:
        old = old_body(project, against, chapter)
        return critic.apply(redline.redline(critic.apply(old, "accept"), critic.apply(chapter.body, "accept")), "markup")

    return changes_since


def old_body(project: Project, rev: str, chapter: Chapter) -> str:
    try:
        text = version.read_at(project.root, rev, str(chapter.path))
    except ConfigError:
        return ""  # the chapter did not exist then
    match = FRONT_MATTER.match(text)
    return text[match.end() :] if match else text
