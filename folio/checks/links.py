"""Links inside the book: a link to a place that is in no chapter is an error (M008), found on the
fragments after text/links.py has pointed links between chapters where they go."""

from __future__ import annotations

from folio.checks.findings import Finding
from folio.project.manuscript import Chapter
from folio.text.fragment import Fragment
from folio.text.links import LOCAL_LINK, anchors


def check(fragments: list[Fragment]) -> list[Finding]:
    ids, by_name = anchors(fragments)
    findings = []
    for fragment in fragments:
        for target in LOCAL_LINK.findall(fragment.html):
            if target in ids:
                continue
            name = target.removeprefix(f"{fragment.chapter.id}-")
            line, col = _find_link(fragment.chapter, name)
            hint = "several chapters have it: give the heading an id of its own, {#like-this}" if by_name.get(name) else ""
            findings.append(Finding("M008", fragment.chapter.path, line, col, f"link to '#{name}', which is not in the book", hint))
    return findings


def _find_link(chapter: Chapter, name: str) -> tuple[int, int]:
    offset = chapter.body.find(f"(#{name}")
    return chapter.position_of(offset + 1) if offset >= 0 else (chapter.body_line, 0)
