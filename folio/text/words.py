"""The words Folio itself prints, in one table, so that a language can be added in one place.

`word(language, key)` takes a BCP 47 tag ("en-US", "de-DE") and falls back to English for a
language or a word the table does not have yet. Plural forms are keyed with a trailing "s".
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "figure": "Figure",
        "figures": "Figures",
        "table": "Table",
        "tables": "Tables",
        "equation": "Equation",
        "equations": "Equations",
        "section": "Section",
        "sections": "Sections",
        "and": "and",
        "references": "References",
    },
}


def word(language: str, key: str) -> str:
    """The word for `key` in this language (its primary subtag), else in English."""
    table = WORDS.get(language.split("-")[0].lower(), {})
    return table.get(key) or WORDS["en"][key]
