"""YAML that remembers where each mapping and key came from, for `file:line` messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):  # type: ignore[type-arg]
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int] = {}  # noqa: RUF012 (each mapping read from YAML gets its own)

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):  # type: ignore[type-arg]
    """A sequence that knows the line of each item (1-based), in block style or flow style."""

    line: int = 0
    item_lines: list[int]


def line_of_item(sequence: Any, index: int, default: int) -> int:
    """The line of item `index` of a sequence read from YAML, or `default`."""
    if isinstance(sequence, LineList) and index < len(sequence.item_lines):
        return sequence.item_lines[index]
    return default


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


def _construct_timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates stay text: CSL and book.yaml want "2018-02-16", not a datetime.date.
    return str(loader.construct_scalar(node))


# Characters no output can hold: YAML's escapes make them ("\ud800", "\0"), but half of a UTF-16
# pair is no character at all (Python fails on it deep inside whatever writes it out), and XML 1.0
# (the EPUB, the ONIX record, Word) forbids the control characters but tab and line breaks.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _construct_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    text = str(loader.construct_scalar(node))
    bad = _NOT_TEXT.search(text)
    if bad:
        code = f"\\u{ord(bad[0]):04x}"
        what = "half of a UTF-16 surrogate pair" if "\ud800" <= bad[0] <= "\udfff" else "a control character"
        problem = f"'{code}' is {what}, not a character a book can hold (hint: write the character itself, or leave it out)"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
    return text


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_text)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


class YamlError(Exception):
    def __init__(self, path: Path, line: int, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


def parse(text: str, path: Path, first_line: int = 1) -> Any:
    """Parse YAML text; line numbers count from `first_line` (for front matter inside a file)."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlError(path, line, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.reader.ReaderError as exc:  # a control character written as itself, not escaped
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        line = text[: exc.position].count("\n") + first_line
        raise YamlError(path, line, f"not valid YAML: control character U+{character:04X} (hint: delete it)") from None
    _shift(data, first_line - 1)
    return data


def load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlError(path, 0, "file not found") from None
    except UnicodeDecodeError as exc:
        raise YamlError(path, 1, f"not UTF-8 text ({exc.reason})") from None
    return parse(text, path)


def _shift(data: Any, by: int) -> None:
    if not by:
        return
    if isinstance(data, LineDict):
        data.line += by
        data.key_lines = {k: v + by for k, v in data.key_lines.items()}
        for value in data.values():
            _shift(value, by)
    elif isinstance(data, list):
        if isinstance(data, LineList):
            data.line += by
            data.item_lines = [line + by for line in data.item_lines]
        for item in data:
            _shift(item, by)
