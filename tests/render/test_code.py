"""Code blocks in the print layout: one line box per row, none empty (the draft numbers each row)."""

from __future__ import annotations

from folio.checks.book import check_book
from folio.formats.pdf import lay_out_print
from folio.project.config import load_project

from helpers import make_book

CHAPTER = """\
---
title: Code
number: 1
---

Text before.

```python
def f(x):
    return x  # a comment long enough to wrap around the measure of the page, and then some more words

print(f(2))
```

```
plain
```

Text after.
"""


def test_code_rows_are_line_boxes_and_nothing_else(tmp_path):
    """The block-level line spans sit in a block <code>: an inline one would split around each
    of them and leave an empty line box between rows, which the draft would number."""
    project = load_project(make_book(tmp_path, {"one.md": CHAPTER}, references="[]\n"))
    result = lay_out_print(project, check_book(project).fragments)
    lines = [line for page in result.pages for line in page.lines]
    texts = [line.text for line in lines]
    start = texts.index("def f(x):")
    assert texts[start + 3 : start + 7] == ["", "print(f(2))", "plain", "Text after."]  # the blank row is a real row
    assert all(line.bottom - line.top > 5 for line in lines), [(line.text, line.top, line.bottom) for line in lines]
    assert texts[start + 1].startswith("    return x") and texts[start + 2]  # the wrapped line's two rows
