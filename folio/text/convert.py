"""Chapters to fragments: Pandoc once per chapter (in parallel, cached), reshaped, and the links
between chapters resolved. The one intermediate every format is rendered from.

What Pandoc reads of a chapter depends on the product: the book reads the text with its
editorial changes resolved (`book_text`); the review copies read them marked up, or the changes
since an earlier version as marks (`review_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from folio import progress  # HOOK(speed)
from folio.checks.findings import Finding
from folio.errors import ConfigError
from folio.project.config import Project
from folio.project.manuscript import FRONT_MATTER, Chapter
from folio.text import citestyle, critic, crossref, dialects, figures, pandoc, redline
from folio.text.fragment import Fragment, build_fragment
from folio.text.links import resolve_links
from folio.text.math import gather_line_breaks, unconverted_math
from folio.tools import version

Prepare = Callable[[Chapter], str]


def convert(
    project: Project,
    chapters: list[Chapter],
    cache_dir: Path | None,
    prepare: Prepare | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[list[Fragment], list[Finding]]:
    """Every chapter's fragment, in reading order, and Pandoc's warnings. `prepare` gives the
    Markdown Pandoc reads of each chapter (by default the book's text, `book_text`); cross-references
    are rewritten as links first. `meanwhile` is run while Pandoc converts (text/pandoc.py)."""
    config = project.config
    prepare = prepare or book_text(project)
    citeproc = citestyle.settings(project)
    labels, _ = crossref.collect(chapters, project.manuscript_dir)  # HOOK(dialects): dialect figures count
    # HOOK(dialects): Jekyll's figure includes and \aosafigure read as Markdown figures (text/dialects.py)
    manuscript = project.manuscript_dir
    texts = {
        chapter.path: crossref.rewrite(dialects.read_figures(prepare(chapter), chapter.path, manuscript), labels, chapter.language)
        for chapter in chapters
    }
    # An in-text style with one list for the book: every chapter sees every source, in book order.
    keys, preludes = citestyle.preludes(citeproc, [texts[chapter.path] for chapter in chapters])
    lead = dict(zip([chapter.path for chapter in chapters], preludes, strict=True))

    gathered = {chapter.path: gather_line_breaks(chapter, texts[chapter.path]) for chapter in chapters}
    bodies = [pandoc.Body(lead[c.path] + gathered[c.path][0], f"{c.id}-", c.language) for c in chapters]
    conversions = pandoc.chapters_to_html(bodies, citeproc, cache_dir, meanwhile)

    def one(chapter: Chapter, result: pandoc.Conversion) -> tuple[Fragment, list[Finding]]:
        math_errors, other = unconverted_math(chapter, result.warnings)
        pandoc_warnings = [Finding("B001", chapter.path, chapter.body_line, 0, f"pandoc: {w}") for w in other]
        warnings = gathered[chapter.path][1] + math_errors + pandoc_warnings
        fragment = build_fragment(chapter, citestyle.strip_prelude(result.html), config.figures == figures.NUMBERED)
        if citeproc.in_text:
            fragment = citestyle.place_reference_list(fragment, config.language, keep=citeproc.per_chapter)
        progress.step()  # HOOK(speed): "chapter k of N" on the terminal (folio/progress.py)
        return fragment, warnings

    results = [one(chapter, result) for chapter, result in zip(chapters, conversions, strict=True)]
    fragments = crossref.finish([f for f, _ in results], labels, config.language)
    fragments = citestyle.add_book_list(project, citeproc, keys, fragments)
    return figures.number_links(resolve_links(fragments)), [w for _, warnings in results for w in warnings]


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
