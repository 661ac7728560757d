"""Links between chapters. Pandoc prefixes every id in a chapter with the chapter's id (ch03-), and a
link '#part' with its own chapter's prefix; when the place is in another chapter, the link is
pointed there. checks/links.py reports the links that lead nowhere."""

from __future__ import annotations

import re
from dataclasses import replace

from folio.text.fragment import Fragment

ID = re.compile(r'\bid="([^"]+)"')
LOCAL_LINK = re.compile(r'\bhref="#([^"]+)"')


def anchors(fragments: list[Fragment]) -> tuple[set[str], dict[str, list[str]]]:
    """Every id in the book, and the ids by their name without the chapter prefix."""
    ids = {match for fragment in fragments for match in ID.findall(fragment.html)}
    by_name: dict[str, list[str]] = {}
    for anchor in sorted(ids):
        by_name.setdefault(anchor.split("-", 1)[-1], []).append(anchor)
    return ids, by_name


def resolve_links(fragments: list[Fragment]) -> list[Fragment]:
    """The fragments with each link to a place in another chapter pointed at that chapter's id."""
    ids, by_name = anchors(fragments)
    resolved = []
    for fragment in fragments:

        def fix(match: re.Match[str], fragment: Fragment = fragment) -> str:
            target = match[1]
            if target in ids:
                return match[0]
            candidates = by_name.get(target.removeprefix(f"{fragment.chapter.id}-"), [])
            return f'href="#{candidates[0]}"' if len(candidates) == 1 else match[0]

        resolved.append(replace(fragment, html=LOCAL_LINK.sub(fix, fragment.html)))
    return resolved
