"""Chapters to fragments: Pandoc once per chapter (in parallel, cached), reshaped, and the links
between chapters resolved. The one intermediate every format is rendered from."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from folio.checks.findings import Finding
from folio.project.config import Project
from folio.project.manuscript import Chapter
from folio.text import citestyle, crossref
from folio.text.fragment import Fragment, build_fragment
from folio.text.pandoc import chapter_to_html

ID = re.compile(r'\bid="([^"]+)"')
LOCAL_LINK = re.compile(r'\bhref="#([^"]+)"')


def convert(
    project: Project, chapters: list[Chapter], cache_dir: Path | None, prepare: Callable[[Chapter], str] | None = None
) -> tuple[list[Fragment], list[Finding]]:
    """Every chapter's fragment, in reading order, and the problems found on the way.
    `prepare` gives the Markdown Pandoc reads (editorial marks resolved, or marked up for the
    draft); by default the chapter as written."""
    config = project.config
    citeproc = citestyle.settings(project)
    labels, _ = crossref.collect(chapters)
    texts = {chapter.path: crossref.rewrite(prepare(chapter) if prepare else chapter.body, labels, config.language) for chapter in chapters}
    # An in-text style with one list for the book: every chapter sees every source, in book order.
    keys, preludes = citestyle.preludes(citeproc, [texts[chapter.path] for chapter in chapters])
    lead = dict(zip([chapter.path for chapter in chapters], preludes, strict=True))

    def one(chapter: Chapter) -> tuple[Fragment, list[Finding]]:
        result = chapter_to_html(lead[chapter.path] + texts[chapter.path], f"{chapter.id}-", config.language, citeproc, cache_dir)
        warnings = [Finding("B001", chapter.path, chapter.body_line, 0, f"pandoc: {w}") for w in result.warnings]
        fragment = build_fragment(chapter, citestyle.strip_prelude(result.html))
        if citeproc.in_text:
            fragment = citestyle.place_reference_list(fragment, config.language, keep=citeproc.per_chapter)
        return fragment, warnings

    # Pandoc runs as a subprocess, so threads convert chapters side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(one, chapters))
    fragments = crossref.finish([f for f, _ in results], labels, config.language)
    fragments, findings = resolve_links(citestyle.add_book_list(project, citeproc, keys, fragments))
    return fragments, [w for _, warnings in results for w in warnings] + findings


def resolve_links(fragments: list[Fragment]) -> tuple[list[Fragment], list[Finding]]:
    """Pandoc prefixes a link '#part' with its own chapter's prefix; when the place is in another
    chapter, point the link there. A link to a place that exists nowhere is an error (M008)."""
    ids = {match for fragment in fragments for match in ID.findall(fragment.html)}
    by_name: dict[str, list[str]] = {}
    for anchor in ids:
        by_name.setdefault(anchor.split("-", 1)[-1], []).append(anchor)
    resolved, findings = [], []
    for fragment in fragments:

        def fix(match: re.Match[str], fragment: Fragment = fragment) -> str:
            target = match[1]
            if target in ids:
                return match[0]
            name = target.removeprefix(f"{fragment.chapter.id}-")
            candidates = by_name.get(name, [])
            if len(candidates) == 1:
                return f'href="#{candidates[0]}"'
            line, col = _find_link(fragment.chapter, name)
            hint = "several chapters have it: give the heading an id of its own, {#like-this}" if candidates else ""
            findings.append(Finding("M008", fragment.chapter.path, line, col, f"link to '#{name}', which is not in the book", hint))
            return match[0]

        resolved.append(replace(fragment, html=LOCAL_LINK.sub(fix, fragment.html)))
    return resolved, findings


def _find_link(chapter: Chapter, name: str) -> tuple[int, int]:
    offset = chapter.body.find(f"(#{name}")
    return chapter.position_of(offset + 1) if offset >= 0 else (chapter.body_line, 0)
