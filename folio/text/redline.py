"""Redline: what changed between two versions of a chapter, written as CriticMarkup in the new one.

`redline(old, new)` returns the new body with {++inserted++}, {--deleted--} and {~~old~>new~~}
marks around the changed words, so the draft shows a revision through the same path as an
editor's marks (`critic.apply(..., "markup")`). Accepting every mark gives back `new` exactly.

The diff runs on tokens, not characters, so that Markdown stays intact:
- words, the punctuation and emphasis around them, and runs of spaces are the units of change;
- a bracket group is one token: a citation [@key, p. 3], a note ^[...], a link or span with
  its (url) or {attributes}, an image, a code span. A changed group is deleted and inserted
  whole: a mark never splits its brackets, and citeproc never sees a mark in a locator;
- block syntax is never inside a mark: line breaks, paragraph breaks, heading `#`s, list and
  quote markers, table pipes, rules and fences, heading attributes, fenced code blocks, and
  marks already in the text. New block syntax is written as it is; deleted block syntax is
  left out of the deleted text (a line break there becomes a space). So a changed code block
  is shown as its new version without marks (and so without a change bar in the draft).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from folio.project.manuscript import CODE_SPAN, FENCE

WORD, SPACE, GROUP, BLOCK = "word", "space", "group", "block"

# Pandoc's block markers at a line start: heading, bullet, number, letter (a capital needs two
# spaces after its period, as in Pandoc), example, definition, quote.
MARKER = re.compile(
    r">[ \t]?|(?:#{1,6}|[-*+:]|\d+[.)]|#\.|\(?\w{1,2}\)|\(@\w*\))(?:[ \t]+|(?=\n)|\Z)|[a-z]\.[ \t]+|[A-Z]\.(?:[ \t]{2,}|\t)"
)
RULE_LINE = re.compile(r"[ \t]*(?:([-*_=])(?:[ \t]*\1){2,}|:{3,}[^\n]*|\|[-:| \t]*\|[-:| \t]*)[ \t]*(?=\n|\Z)")
CRITIC = re.compile(r"\{\+\+.*?\+\+\}|\{--.*?--\}|\{~~.*?~~\}|\{==.*?==\}|\{>>.*?<<\}", re.S)
ATTRIBUTES = re.compile(r"\{[^{}\n]*\}")
SPACES = re.compile(r"\s+")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
PLAIN = re.compile(r"(?:[^\s\[{`|!^\\]|\\\S?|[!^](?!\[))+")
EDGES = re.compile(r"([(\"“‘'*_]*)(.*?)((?<!\\)[.,;:!?)\]\"”’'*_…]*)", re.S)
Opcode = tuple[str, int, int, int, int]
CLOSING = {"[": "]", "(": ")"}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    kind: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def redline(old: str, new: str) -> str:
    """The new body with CriticMarkup around every word that differs from the old body."""
    before, after = tokenize(old), tokenize(new)
    out = _Output()
    for tag, i1, i2, j1, j2 in _opcodes(before, after):
        olds, news = before[i1:i2], after[j1:j2]
        if tag == "equal":
            for token in news:
                out.write(token.text, token.kind)
            continue
        gone = _deleted_text(olds).strip()
        inline_only = all(t.kind != BLOCK for t in news) and all(t.kind != GROUP for t in olds + news)
        if gone and inline_only and "".join(t.text for t in news).strip():
            lead, core, trail = _edges("".join(t.text for t in news))
            out.write(f"{lead}{{~~{gone}~>{core}~~}}{trail}", WORD)
            continue
        if gone:
            out.delete(f"{{--{_deleted_text(olds)}--}}")
        run: list[str] = []
        for token in [*news, Token("", 0, BLOCK)]:
            if token.kind != BLOCK:
                run.append(token.text)
                continue
            lead, core, trail = _edges("".join(run))
            if core:
                out.write(f"{lead}{{++{core}++}}{trail}", WORD)
            elif lead:
                out.write(lead, SPACE)
            run = []
            if token.text:
                out.write(token.text, BLOCK)
    return out.close()


class _Output:
    """The redlined text, written token by token.

    A deletion at the start of a line waits for the next inline text: written before the line's
    heading or list marker, a fence or a rule, it would stop them being block syntax.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.inline = False
        self.pending = ""

    def write(self, text: str, kind: str) -> None:
        if kind != BLOCK:
            self.parts.append(self.pending)
            self.pending = ""
            self.inline = True
        elif text:
            self.inline = False
        self.parts.append(text)

    def delete(self, mark: str) -> None:
        if self.inline:
            self.parts.append(mark)
        else:
            self.pending += mark

    def close(self) -> str:
        if self.pending:
            text = "".join(self.parts)
            self.parts.append(self.pending if not text or text.endswith("\n") else "\n\n" + self.pending)
        return "".join(self.parts)


def tokenize(text: str) -> list[Token]:
    """Words, spaces, bracket groups and block syntax, in order; their texts join back to `text`."""
    tokens: list[Token] = []
    pos, line_start = 0, True
    while pos < len(text):
        token = _next_token(text, pos, line_start)
        tokens.append(token)
        pos = token.end
        if token.kind == BLOCK and token.text.isspace():
            line_start = "\n" in token.text
        elif not (token.kind == BLOCK and line_start and MARKER.fullmatch(token.text)):
            line_start = token.text.endswith("\n")
    return tokens


def _next_token(text: str, pos: int, line_start: bool) -> Token:
    if line_start:
        for pattern in (FENCE, RULE_LINE, MARKER):
            match = pattern.match(text, pos)
            if match and match.end() > pos:
                return Token(match[0], pos, BLOCK)
    if match := SPACES.match(text, pos):
        return Token(match[0], pos, BLOCK if "\n" in match[0] else SPACE)
    if match := CRITIC.match(text, pos):
        return Token(match[0], pos, BLOCK)
    if text[pos] == "`" and (match := CODE_SPAN.match(text, pos)):
        return Token(match[0], pos, GROUP)
    if text[pos] == "|":
        return Token("|", pos, BLOCK)
    if text[pos] == "{" and (match := ATTRIBUTES.match(text, pos)):
        return Token(match[0], pos, BLOCK)
    opening = pos + 1 if text.startswith(("^[", "!["), pos) else pos
    if text[opening] == "[" and (end := _balanced(text, opening)):
        if end < len(text) and text[end] in "([{":
            # The link's (url), the span's {attributes}, the reference's [label] belong to it.
            end = _balanced(text, end) or end
        return Token(text[pos:end], pos, GROUP)
    match = PLAIN.match(text, pos)
    if not match:
        return Token(text[pos], pos, WORD)
    # Punctuation and emphasis around a word are tokens of their own: "fox." to "fox!" changes
    # one character, and a citation added before a full stop leaves the word alone.
    word = EDGES.fullmatch(match[0])
    first = next((part for part in word.groups() if part), match[0]) if word else match[0]
    return Token(first, pos, WORD)


def _balanced(text: str, pos: int) -> int:
    """The offset just past the bracket that closes the one at `pos`; 0 if it is not closed in its paragraph."""
    opening = text[pos]
    if opening == "{":
        match = ATTRIBUTES.match(text, pos)
        return match.end() if match else 0
    closing, depth, index = CLOSING[opening], 0, pos
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "`" and (code := CODE_SPAN.match(text, index)):
            index = code.end()
            continue
        if char == "\n" and re.match(r"\n[ \t]*\n", text[index:]):
            return 0
        depth += (char == opening) - (char == closing)
        index += 1
        if depth == 0:
            return index
    return 0


def _opcodes(before: list[Token], after: list[Token]) -> list[Opcode]:
    """SequenceMatcher's opcodes on tokens, with changes only a space apart joined into one.

    Paragraphs are matched first and words only within the paragraphs that differ: it is much
    faster on a long chapter, and a word is never matched to one in another paragraph.
    """
    a_ends, b_ends = _paragraph_ends(before), _paragraph_ends(after)
    a_keys = ["".join(t.text for t in before[i:j]) for i, j in itertools.pairwise([0, *a_ends])]
    b_keys = ["".join(t.text for t in after[i:j]) for i, j in itertools.pairwise([0, *b_ends])]
    opcodes: list[Opcode] = []
    for level, p1, p2, q1, q2 in SequenceMatcher(None, a_keys, b_keys, autojunk=False).get_opcodes():
        i1, i2 = ([0, *a_ends][p1], [0, *a_ends][p2])
        j1, j2 = ([0, *b_ends][q1], [0, *b_ends][q2])
        if level != "replace":
            opcodes.append((level, i1, i2, j1, j2))
            continue
        words = SequenceMatcher(None, [(t.kind, t.text) for t in before[i1:i2]], [(t.kind, t.text) for t in after[j1:j2]], autojunk=False)
        opcodes += [(t, a + i1, b + i1, c + j1, d + j1) for t, a, b, c, d in words.get_opcodes()]
    joined: list[Opcode] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 == i2 and j1 == j2:
            continue
        last = joined[-1] if joined else None
        if last and (last[0] == "equal") == (tag == "equal"):
            # Two changes in a row (one from each level) are one change.
            joined[-1] = (tag if tag == "equal" else _tag(last[1], i2, last[3], j2), last[1], i2, last[3], j2)
        elif len(joined) >= 2 and tag != "equal" and _just_a_space(joined[-1], before):
            _, a1, _, b1, _ = joined[-2]
            joined[-2:] = [(_tag(a1, i2, b1, j2), a1, i2, b1, j2)]
        else:
            joined.append((tag, i1, i2, j1, j2))
    return _after_the_space(joined, before)


def _paragraph_ends(tokens: list[Token]) -> list[int]:
    ends = [index + 1 for index, token in enumerate(tokens) if token.kind == BLOCK and PARAGRAPH_BREAK.search(token.text)]
    return ends if ends and ends[-1] == len(tokens) else [*ends, len(tokens)]


def _tag(i1: int, i2: int, j1: int, j2: int) -> str:
    return "replace" if i1 < i2 and j1 < j2 else "delete" if i1 < i2 else "insert"


def _same(a: Token, b: Token) -> bool:
    return (a.kind, a.text) == (b.kind, b.text)


def _after_the_space(opcodes: list[Opcode], before: list[Token]) -> list[Opcode]:
    """Move a deletion that starts with a space to after the space that follows it: the same
    change, but 'The {--quick --}fox' rather than 'The{-- quick--} fox'."""
    for k in range(1, len(opcodes) - 1):
        (tag, i1, i2, j1, j2), (next_tag, n1, n2, m1, m2) = opcodes[k], opcodes[k + 1]
        if (
            tag == "delete"
            and next_tag == "equal"
            and opcodes[k - 1][0] == "equal"
            and _same(before[i1], before[i2])
            and before[i1].text.isspace()
        ):
            p_tag, p1, _, q1, _ = opcodes[k - 1]
            opcodes[k - 1] = (p_tag, p1, i1 + 1, q1, j1 + 1)
            opcodes[k] = (tag, i1 + 1, i2 + 1, j1 + 1, j2 + 1)
            opcodes[k + 1] = (next_tag, n1 + 1, n2, m1 + 1, m2)
    return [op for op in opcodes if op[1] < op[2] or op[3] < op[4]]


def _just_a_space(opcode: Opcode, before: list[Token]) -> bool:
    tag, i1, i2, _, _ = opcode
    return tag == "equal" and i2 - i1 == 1 and before[i1].kind == SPACE


def _deleted_text(tokens: list[Token]) -> str:
    """The inline text of deleted tokens; a line or paragraph break between them becomes a space."""
    parts: list[str] = []
    for token in tokens:
        if token.kind != BLOCK:
            parts.append(token.text)
        elif token.text.isspace() and not (parts and parts[-1].isspace()):
            parts.append(" ")
    return "".join(parts)


def _edges(text: str) -> tuple[str, str, str]:
    core = text.strip()
    return text[: len(text) - len(text.lstrip())], core, text[len(text.rstrip()) :]
