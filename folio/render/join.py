"""Join PDFs that WeasyPrint laid out one part at a time (the front matter, each chapter) into one
book, as if it had been laid out in one pass.

A tagged PDF is more than its pages: the outline, the named destinations that internal links
point at, and the PDF/UA structure tree. The join writes the book itself (QPDF would parse and
copy every object of every part at each join; see "Where a part's objects go" below) and merges
each of them:

- pages in order, with a blank verso wherever a part must open on a recto;
- one outline: each part's top-level items, in order;
- `/Names /Dests` merged, so a `/Dest` name in one part finds its place in another (a link
  across parts is made one by `links_across`, run on each part where it is laid out);
- one structure tree: every part's elements under one Document element; the `/ParentTree`
  (marked-content ids and annotations back to their elements) with every part's keys moved past
  the previous parts', and each page's `/StructParents` and each annotation's `/StructParent`
  moved to match; `/IDTree`, `/RoleMap` and `/ClassMap` merged;
- page furniture (running heads, folios) marked as artifacts: `furniture_as_artifacts`, run on
  each part before the join (render/parts.py does it where the part is laid out);
- the document-wide entries (`/Lang`, `/MarkInfo`, `/ViewerPreferences`, XMP, Info) from the
  first part, and page labels moved to where each part's pages land.

`structure_problems` says what is wrong with a tagged PDF's tree, for the tests and for anyone
who doubts a joined book.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, Pdf

from folio.formats.output import write_atomic

LINK_SCHEME = "folio-anchor:"
DOCUMENT_WIDE = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents")


def join(
    parts: Sequence[bytes],
    blank_before: Sequence[bool] | None = None,
    *,
    cache: Path | None = None,
    version: str | None = None,
    streams: bool = True,
) -> bytes:
    """The parts as one PDF. `blank_before[i]`: a blank page goes before part i (the verso left
    empty when the previous part ends on a recto and part i must open on one).

    `version`: the PDF version to write (by default the parts' newest, at least XREF_STREAMS), for
    a file a standard ties to one (the printer's PDF/X); `streams=False`: the objects written one by
    one with a cross-reference table, as PDF 1.4 has them (PDF/X-1a), instead of packed in object
    streams with a cross-reference stream.

    Each part's element ids must be its own already (`prefix_ids`), and a link from one part to a
    place in another a link to a named destination that the part does not have (`links_across`,
    run where the part is laid out); the join gives it one.

    `cache`: a folder where each part is kept as placed (its objects numbered for where they go in
    the book): an edit places its own part again, and the others are copied as they are."""
    blank_before = list(blank_before or [False] * len(parts))
    if len(blank_before) != len(parts):
        raise ValueError("one blank_before flag per part")
    if not streams and version is None:
        raise ValueError("a file without object streams says its version")
    store = _Placements(cache, streams)
    placed: list[_Placed] = []
    base, key_base = FIRST_PART_OBJECT, 0
    for data in parts:
        part = store.get(data, base, key_base) or store.put(data, _place(data, base, key_base, streams))
        room, key_room = store.room(part)
        placed.append(part)
        base, key_base = base + room, key_base + key_room
    store.keep()
    return _Writer(placed, blank_before, base, key_base).write(version, streams)


# Where a part's objects go --------------------------------------------------------------------
#
# The joined book is written here, not by QPDF: QPDF parses and copies every object of every part
# at each join (2.3 s for a 160-chapter book's 147,000 objects, after a one-sentence edit). Each
# part is given a range of object numbers and of ParentTree keys, rounded up so that it stays
# where it was after an edit that adds a few objects to a part before it; the part's objects,
# numbered for that range and packed in object streams (or each on its own, for PDF 1.4), are kept
# (`_Placements`). The join writes them one after the other and adds what is the book's own: the
# page tree, the structure tree's root and Document element, the ParentTree's root, the outline's
# root and each part's top-level items (their /Prev and /Next lead into the neighbouring parts),
# the named destinations, the page labels, blank versos, the catalog and a cross-reference stream
# (or table).

PAGES, DOCUMENT, OUTLINES, STRUCT_ROOT, CATALOG, PARENT_TREE = 1, 2, 3, 4, 5, 6
FIRST_PART_OBJECT = 16
OBJECTS_A_STREAM = 100  # as QPDF packs them
XREF_STREAMS = "1.5"  # the first PDF version with object streams and cross-reference streams
TREE_LEAF = 64  # entries in a leaf of a number or name tree
PLACED_FORMAT = b"folio-placed 1\n"
REFERENCE = re.compile(rb"\((?:[^\\()]|\\.)*\)|(\d+) (\d+) R(?![\w#])|/FolioKey(\d+)")
"""In an object's text (QPDF's unparse): a literal string (left as it is: QPDF escapes its
parentheses), a reference, or a ParentTree key put there to be moved (`/FolioKey` N)."""


@dataclass
class _Placed:
    """A part's objects, numbered from `base` (`count` numbers), its ParentTree keys from
    `key_base` (`keys` of them): its objects in `chunk`, with their cross-reference entries
    (`xref`, seven bytes each; the offsets are from the chunk's start, at the indexes `offsets`),
    and what the book's own objects need of it (`meta`)."""

    base: int
    count: int
    key_base: int
    keys: int
    chunk: bytes
    xref: bytes
    offsets: list[int]
    meta: dict[str, Any]

    def to_bytes(self) -> bytes:
        payload = self.xref + self.chunk
        head = {**vars(self), "chunk": len(self.chunk), "xref": len(self.xref), "sha256": hashlib.sha256(payload).hexdigest()}
        encoded = json.dumps(head).encode()
        return PLACED_FORMAT + b"%d\n" % len(encoded) + encoded + payload

    @classmethod
    def from_bytes(cls, data: bytes) -> _Placed:
        if not data.startswith(PLACED_FORMAT):
            raise ValueError("not a placed part")
        start = data.index(b"\n", len(PLACED_FORMAT)) + 1
        length = int(data[len(PLACED_FORMAT) : start])
        head, payload = json.loads(data[start : start + length]), data[start + length :]
        xref, chunk = payload[: head["xref"]], payload[head["xref"] :]
        if len(xref) != 7 * head["count"] or len(chunk) != head["chunk"] or hashlib.sha256(payload).hexdigest() != head.pop("sha256"):
            raise ValueError("a placed part cut short or damaged")
        return cls(**{**head, "xref": xref, "chunk": chunk})


def _place(data: bytes, base: int, key_base: int, packed: bool = True) -> _Placed:
    """Part `data` (a PDF) with its objects numbered from `base` and its ParentTree keys from
    `key_base`, packed in object streams (`packed`) or each on its own. The first part (at
    FIRST_PART_OBJECT) brings the document-wide entries."""
    first = base == FIRST_PART_OBJECT
    pdf = Pdf.open(io.BytesIO(data))
    root = pdf.Root
    book: dict[tuple[int, int], int] = {}  # the part's own structure: a reference to it leads to the book's (0: to nothing)

    def mine(obj: pikepdf.Object | None, number: int = 0) -> None:
        if obj is not None and obj.is_indirect:
            book[obj.objgen] = number

    def entries(tree: pikepdf.Object, kind: Any) -> list[Any]:
        """A number or name tree's entries; its nodes, the part's own, left out of the book."""
        for node in _nodes(tree):
            mine(node)
        return list(kind(tree).items())

    meta: dict[str, Any] = {"version": pdf.pdf_version, "parents": []}
    mine(root)
    for node in _nodes(root.Pages):
        mine(node, PAGES)
    mine(root.get("/Outlines"), OUTLINES)
    tops = _outline_items(root.get("/Outlines"))
    meta["outline_count"] = int(root.Outlines.get("/Count", 0)) if "/Outlines" in root else 0
    dests: list[tuple[str, pikepdf.Object]] = []
    ids: list[tuple[str, pikepdf.Object]] = []
    labels: list[tuple[int, pikepdf.Object]] = []
    parents: list[tuple[int, pikepdf.Object]] = []
    top_elements: list[pikepdf.Object] = []
    structure = root.get("/StructTreeRoot")
    meta["tagged"] = structure is not None
    if structure is not None:
        mine(structure, DOCUMENT)
        for kid in _as_list(structure.get("/K")):
            if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document:
                mine(kid, DOCUMENT)
                top_elements += _as_list(kid.get("/K"))
            else:
                top_elements.append(kid)
        if "/ParentTree" in structure:
            parents = [(int(key), value) for key, value in entries(structure.ParentTree, NumberTree)]
        if "/IDTree" in structure:
            ids = entries(structure.IDTree, NameTree)
        for key in ("/RoleMap", "/ClassMap"):
            mine(structure.get(key))
    names = root.get("/Names")
    mine(names)
    if names is not None and "/Dests" in names:
        dests = entries(names.Dests, NameTree)
    if "/PageLabels" in root:
        labels = entries(root.PageLabels, NumberTree)
    if not first:
        mine(root.get("/Metadata"))
        mine(pdf.trailer.get("/Info"))

    # The keys that move: each page's /StructParents, each annotation's /StructParent.
    keys = [key for key, _ in parents]
    for page in pdf.pages:
        if "/StructParents" in page.obj:
            keys.append(int(page.obj.StructParents))
            page.obj.StructParents = Name(f"/FolioKey{int(page.obj.StructParents)}")
        for annotation in _as_list(page.obj.get("/Annots")):
            if "/StructParent" in annotation:
                keys.append(int(annotation.StructParent))
                annotation.StructParent = Name(f"/FolioKey{int(annotation.StructParent)}")
    for item in tops:
        for key in ("/Parent", "/Prev", "/Next"):
            if key in item:
                del item[key]

    objects = [
        obj for obj in pdf.objects if obj.objgen not in book and obj._type_code != pikepdf.ObjectType.null and not _file_structure(obj)
    ]
    loose = {item.objgen for item in tops}
    streams = [obj for obj in objects if isinstance(obj, pikepdf.Stream)]
    packable = [obj for obj in objects if not isinstance(obj, pikepdf.Stream) and obj.objgen not in loose]
    order = [*streams, *packable, *(obj for obj in objects if obj.objgen in loose)]
    number = {obj.objgen: base + i for i, obj in enumerate(order)}
    next_number = base + len(order)

    def renumbered(text: bytes) -> bytes:
        def one(match: re.Match[bytes]) -> bytes:
            if match[1] is not None:
                objgen = (int(match[1]), int(match[2]))
                to = number.get(objgen) or book.get(objgen, 0)
                return b"%d 0 R" % to if to else b"null"
            if match[3] is not None:
                return b"%d" % (key_base + int(match[3]))
            return match[0]

        return REFERENCE.sub(one, text)

    def text(obj: pikepdf.Object) -> str:
        return renumbered(obj.unparse()).decode("latin-1")

    # The ParentTree's entries, in leaves of the part's own (the book's root lists them).
    leaves: list[bytes] = []
    for at in range(0, len(parents), TREE_LEAF):
        chunk = parents[at : at + TREE_LEAF]
        numbers = b" ".join(b"%d %s" % (key_base + key, renumbered(value.unparse())) for key, value in chunk)
        leaves.append(b"<< /Limits [ %d %d ] /Nums [ %s ] >>" % (key_base + chunk[0][0], key_base + chunk[-1][0], numbers))
        meta["parents"].append(next_number + len(leaves) - 1)
    next_number += len(leaves)

    bodies = [(number[obj.objgen], renumbered(obj.unparse(resolved=True))) for obj in packable]
    bodies += [(meta["parents"][i], leaf) for i, leaf in enumerate(leaves)]
    groups = [bodies[at : at + OBJECTS_A_STREAM] for at in range(0, len(bodies), OBJECTS_A_STREAM)] if packed else []
    count = next_number + len(groups) - base
    xref: dict[int, tuple[int, int, int]] = {}  # number: (type, field, field), as a cross-reference stream has them
    out = bytearray()
    for obj in streams:
        raw = obj.read_raw_bytes()
        obj.stream_dict.Length = len(raw)
        xref[number[obj.objgen]] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nstream\n" % (number[obj.objgen], renumbered(obj.stream_dict.unparse()))
        out += raw + b"\nendstream\nendobj\n"
    for n, body in bodies if not packed else []:  # each object on its own
        xref[n] = (1, len(out), 0)
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    for stream_number, group in enumerate(groups, start=next_number):
        heads, position = [], 0
        for index, (n, body) in enumerate(group):
            heads.append(b"%d %d" % (n, position))
            position += len(body) + 1
            xref[n] = (2, stream_number, index)
        head = b" ".join(heads) + b"\n"
        packed_data = zlib.compress(head + b"\n".join(body for _, body in group) + b"\n")
        xref[stream_number] = (1, len(out), 0)
        out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
            stream_number,
            len(group),
            len(head),
            len(packed_data),
        )
        out += packed_data + b"\nendstream\nendobj\n"
    meta["loose"] = [[number[item.objgen], renumbered(item.unparse(resolved=True)).decode("latin-1")] for item in tops]
    for n, _ in meta["loose"]:
        xref[n] = (1, 0, 0)  # written, and its offset set, by the writer
    meta["pages"] = [number[page.obj.objgen] for page in pdf.pages]
    meta["elements"] = [text(element) for element in top_elements]
    meta["dests"] = [[bytes(pikepdf.String(name)).hex(), text(dest)] for name, dest in dests]
    meta["ids"] = [[bytes(pikepdf.String(id_)).hex(), text(element)] for id_, element in ids]
    meta["labels"] = [[int(index), text(label)] for index, label in labels]
    for key in ("/RoleMap", "/ClassMap"):
        mapping = structure.get(key) if structure is not None else None
        meta[key] = {name: text(value) for name, value in dict(mapping or {}).items()}
    last = pdf.pages[-1].obj
    meta["boxes"] = " ".join(f"{key} {text(last[key])}" for key in BOXES if key in last)
    if first:
        meta["catalog"] = " ".join(f"{key} {text(root[key])}" for key in DOCUMENT_WIDE if key in root)
        meta["info"] = text(pdf.trailer.Info) if "/Info" in pdf.trailer else ""
    missing = [n for n in range(base, base + count) if n not in xref]
    assert not missing, f"objects without a place: {missing[:5]}"
    table = b"".join(struct.pack(">BIH", *xref[n]) for n in range(base, base + count))
    offsets = [n - base for n in range(base, base + count) if xref[n][0] == 1]
    return _Placed(base, count, key_base, max(keys, default=-1) + 1, bytes(out), table, offsets, meta)


BOXES = ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox", "/Tabs")


def _nodes(tree: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """A tree's nodes (a page tree's, a number or name tree's): the root and every node in its
    /Kids, but not the pages."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Dictionary) and node.get("/Type") != Name.Page:
            yield node
            stack += _as_list(node.get("/Kids"))


def _file_structure(obj: pikepdf.Object) -> bool:
    """An object stream or a cross-reference stream: how the part's file was written, not its content."""
    return isinstance(obj, pikepdf.Stream) and obj.stream_dict.get("/Type") in (Name.ObjStm, Name.XRef)


def _outline_items(outlines: pikepdf.Object | None) -> list[pikepdf.Object]:
    """An outline's top-level items."""
    items = []
    item = outlines.get("/First") if outlines is not None else None
    while item is not None:
        items.append(item)
        item = item.get("/Next")
    return items


class _Writer:
    """The book written from its placed parts: their objects as they are, and the book's own."""

    def __init__(self, placed: list[_Placed], blank_before: list[bool], top: int, key_top: int):
        self.placed, self.blank_before = placed, blank_before
        self.next_number, self.key_top = top, key_top
        self.objects: dict[int, bytes] = {}  # the book's own objects, by number

    def new(self, body: bytes, number: int | None = None) -> int:
        if number is None:
            number, self.next_number = self.next_number, self.next_number + 1
        self.objects[number] = body
        return number

    def write(self, version: str | None = None, streams: bool = True) -> bytes:
        """The book, in this PDF version (by default the parts' newest, and at least XREF_STREAMS),
        with a cross-reference stream (`streams`) or table."""
        placed, first = self.placed, self.placed[0].meta
        tagged = first["tagged"]
        if any(part.meta["tagged"] != tagged for part in placed):
            raise ValueError("a part without a structure tree joined to tagged ones")
        version = version or max([XREF_STREAMS, *(part.meta["version"] for part in placed)], key=_version)
        out = bytearray(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version.encode())
        runs: list[tuple[int, bytes]] = []  # (first number, its cross-reference entries)
        items = [number for part in placed for number, _ in part.meta["loose"]]  # the outline's top-level items
        siblings = {item: (prev, next_) for item, prev, next_ in zip(items, [0, *items], [*items[1:], 0], strict=False)}
        pages: list[int] = []
        labels: list[tuple[int, str]] = []
        for part, blank in zip(placed, self.blank_before, strict=True):
            if blank:
                if not runs:
                    raise ValueError("a blank page before the first part")
                boxes = placed[len(runs) - 1].meta["boxes"]  # as the page before it (WeasyPrint's :blank page)
                pages.append(self.new(b"<< /Type /Page /Parent %d 0 R /Resources << >> %s >>" % (PAGES, boxes.encode("latin-1"))))
            labels += [(len(pages) + index, label) for index, label in part.meta["labels"]]
            pages += part.meta["pages"]
            table, start = bytearray(part.xref), len(out)
            out += part.chunk
            for index in part.offsets:
                _, offset, _ = struct.unpack_from(">BIH", table, 7 * index)
                struct.pack_into(">BIH", table, 7 * index, 1, start + offset, 0)
            for number, body in part.meta["loose"]:  # the outline's top-level items, linked to their neighbours
                prev, next_ = siblings[number]
                links = (
                    b" /Parent %d 0 R" % OUTLINES
                    + (b" /Prev %d 0 R" % prev if prev else b"")
                    + (b" /Next %d 0 R" % next_ if next_ else b"")
                )
                struct.pack_into(">BIH", table, 7 * (number - part.base), 1, len(out), 0)
                out += b"%d 0 obj\n%s%s >>\nendobj\n" % (number, body.encode("latin-1").removesuffix(b">>"), links)
            runs.append((part.base, bytes(table)))
        self.new(b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (_references(pages), len(pages)), PAGES)
        catalog = b"<< /Type /Catalog /Pages %d 0 R" % PAGES
        if tagged:
            catalog += b" /StructTreeRoot %d 0 R" % self._structure()
        if items:
            count = sum(part.meta["outline_count"] for part in placed)
            self.new(b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (items[0], items[-1], count), OUTLINES)
            catalog += b" /Outlines %d 0 R" % OUTLINES
        dests = _first_of_each(part.meta["dests"] for part in placed)
        if dests:
            catalog += b" /Names << /Dests %d 0 R >>" % self._tree(b"Names", _named(dests))
        if labels:
            catalog += b" /PageLabels %d 0 R" % self._tree(b"Nums", [(b"%d" % i, label.encode("latin-1")) for i, label in labels])
        self.new(catalog + b" " + first.get("catalog", "").encode("latin-1") + b" >>", CATALOG)

        offsets: dict[int, int] = {}
        for number in sorted(self.objects):
            offsets[number] = len(out)
            out += b"%d 0 obj\n%s\nendobj\n" % (number, self.objects[number])
        xref_number = self.next_number  # the cross-reference stream's, when there is one
        if streams:
            offsets[xref_number] = len(out)
        runs += [(number, struct.pack(">BIH", 1, offsets[number], 0)) for number in sorted(offsets)]
        runs.append((0, struct.pack(">BIH", 0, 0, 65535)))
        subsections, entries = _subsections(runs)
        identifier = hashlib.md5(out, usedforsecurity=False).hexdigest().encode()
        trailer = b"/Size %d /Root %d 0 R" % (xref_number + streams, CATALOG)
        if first.get("info"):
            trailer += b" /Info " + first["info"].encode("latin-1")
        trailer += b" /ID [ <%s> <%s> ]" % (identifier, identifier)
        if not streams:  # a cross-reference table, and the trailer after it
            start = len(out)
            out += _table(subsections, entries) + b"trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, start)
            return bytes(out)
        data = zlib.compress(entries)
        trailer = b"/Type /XRef %s /Index [ %s ] /W [ 1 4 2 ] /Filter /FlateDecode /Length %d" % (trailer, subsections, len(data))
        out += b"%d 0 obj\n<< %s >>\nstream\n" % (xref_number, trailer)
        out += data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[xref_number]
        return bytes(out)

    def _structure(self) -> int:
        """The structure tree's root, its Document element and the roots of its trees."""
        placed = self.placed
        elements = " ".join(element for part in placed for element in part.meta["elements"]).encode("latin-1")
        self.new(b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>" % (STRUCT_ROOT, elements), DOCUMENT)
        leaves = [n for part in placed for n in part.meta["parents"]]
        self.new(b"<< /Kids [ %s ] >>" % _references(leaves) if leaves else b"<< /Nums [ ] >>", PARENT_TREE)
        root = b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R /ParentTreeNextKey %d" % (DOCUMENT, PARENT_TREE, self.key_top)
        ids = _first_of_each(part.meta["ids"] for part in placed)
        if ids:
            root += b" /IDTree %d 0 R" % self._tree(b"Names", _named(ids))
        for key in ("/RoleMap", "/ClassMap"):
            merged = _first_of_each(list(part.meta[key].items()) for part in placed)
            if merged:
                root += b" %s << %s >>" % (key.encode(), " ".join(f"{n} {v}" for n, v in merged.items()).encode("latin-1"))
        return self.new(root + b" >>", STRUCT_ROOT)

    def _tree(self, kind: bytes, entries: list[tuple[bytes, bytes]]) -> int:
        """A number or name tree (`kind` Nums or Names) of entries in key order: its root's number."""

        def pairs(chunk: list[tuple[bytes, bytes]]) -> bytes:
            return b" ".join(key + b" " + value for key, value in chunk)

        if len(entries) <= TREE_LEAF:
            return self.new(b"<< /%s [ %s ] >>" % (kind, pairs(entries)))
        leaves = []
        for at in range(0, len(entries), TREE_LEAF):
            chunk = entries[at : at + TREE_LEAF]
            leaves.append(self.new(b"<< /Limits [ %s %s ] /%s [ %s ] >>" % (chunk[0][0], chunk[-1][0], kind, pairs(chunk))))
        return self.new(b"<< /Kids [ %s ] >>" % _references(leaves))


def _references(numbers: list[int]) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in numbers)


def _first_of_each(lists: Iterator[list[Any]]) -> dict[str, str]:
    """Each part's (name, value) pairs merged, the first part to give a name keeping it (as in one pass)."""
    merged: dict[str, str] = {}
    for entries in lists:
        for name, value in entries:
            merged.setdefault(name, value)
    return merged


def _named(entries: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """Name-tree entries in the order a name tree needs (by the names' bytes), names as hex strings."""
    return [
        (b"<%s>" % name.encode(), value.encode("latin-1")) for name, value in sorted(entries.items(), key=lambda e: bytes.fromhex(e[0]))
    ]


def _version(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def _table(subsections: bytes, entries: bytes) -> bytes:
    """A cross-reference table (PDF 1.4) of a cross-reference stream's /Index and entries."""
    index = [int(n) for n in subsections.split()]
    table, at = bytearray(b"xref\n"), 0
    for first, count in zip(index[::2], index[1::2], strict=True):
        table += b"%d %d\n" % (first, count)
        for kind, offset, generation in struct.iter_unpack(">BIH", entries[7 * at : 7 * (at + count)]):
            if kind == 2:
                raise ValueError("an object in an object stream, in a file without them")
            table += b"%010d %05d %s \n" % (offset, generation, b"n" if kind == 1 else b"f")
        at += count
    return bytes(table)


def _subsections(runs: list[tuple[int, bytes]]) -> tuple[bytes, bytes]:
    """A cross-reference stream's /Index and its entries, from runs of entries (first number, entries)."""
    index: list[list[int]] = []
    entries = bytearray()
    for first, table in sorted(runs):
        count = len(table) // 7
        if index and index[-1][0] + index[-1][1] == first:
            index[-1][1] += count
        else:
            index.append([first, count])
        entries += table
    return " ".join(f"{first} {count}" for first, count in index).encode(), bytes(entries)


class _Placements:
    """The placed parts kept in a folder (or nowhere: `folder` None), and where each part goes."""

    def __init__(self, folder: Path | None, packed: bool = True):
        self.folder, self.packed = folder, packed
        self.used: set[str] = set()

    @staticmethod
    def room(part: _Placed) -> tuple[int, int]:
        """The object numbers and ParentTree keys a part has: its own, rounded up to an eighth of
        their size or so, so that an edit that adds a few objects to a part leaves the parts after it
        where they were (and the same parts give the same book). Not more: QPDF takes a file whose
        object numbers run far past its size for a damaged one."""

        def rounded(n: int) -> int:
            step = max(16, 1 << max(0, n.bit_length() - 3))
            return -(-n // step) * step

        return rounded(part.count), rounded(part.keys)

    def _name(self, data: bytes, base: int, key_base: int) -> str:
        return f"{hashlib.sha256(data).hexdigest()[:32]}-{base}-{key_base}{'' if self.packed else '-plain'}.placed"

    def get(self, data: bytes, base: int, key_base: int) -> _Placed | None:
        if self.folder is None:
            return None
        name = self._name(data, base, key_base)
        try:
            placed = _Placed.from_bytes((self.folder / name).read_bytes())
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent, or damaged: placed again
        self.used.add(name)
        return placed if (placed.base, placed.key_base) == (base, key_base) else None

    def put(self, data: bytes, placed: _Placed) -> _Placed:
        if self.folder is not None:
            name = self._name(data, placed.base, placed.key_base)
            write_atomic(self.folder / name, placed.to_bytes())
            self.used.add(name)
        return placed

    def keep(self) -> None:
        """The placed parts this join did not use, forgotten."""
        for path in self.folder.glob("*.placed") if self.folder else []:
            if path.name not in self.used:
                path.unlink(missing_ok=True)


def links_across(pdf: Pdf, scheme: str = LINK_SCHEME) -> None:
    """A link to a place in another part cannot be an internal link when the part is laid out
    (WeasyPrint drops a link to an anchor it does not have), so it is laid out as a link to
    `scheme`NAME: made here a link to the named destination NAME, which the join brings in with
    the part that has it. WeasyPrint writes the URI percent-encoded: an anchor with a letter outside
    ASCII (a French heading's, `âges`) is named as the page names it. For a part, before the join."""
    for page in pdf.pages:
        for annotation in _as_list(page.obj.get("/Annots")):
            action = annotation.get("/A")
            if action is None or action.get("/S") != Name.URI or not str(action.get("/URI", "")).startswith(scheme):
                continue
            name = unquote(str(action.URI)[len(scheme) :])
            del annotation.A
            annotation.Dest = pikepdf.String(name)
            if "/Contents" in annotation:
                annotation.Contents = pikepdf.String(name)


def prefix_ids(pdf: Pdf, prefix: str) -> None:
    """Every element id of a part (WeasyPrint's table headers, `NUMBER-ROW-COLUMN`, made of object
    numbers that another part may use too) and the /Headers that name them, prefixed: unique in
    the joined book without a walk of every tree at the join."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return
    for element in _elements(root):
        if "/ID" in element:
            element.ID = pikepdf.String(prefix + str(element.ID))
        for attributes in _as_list(element.get("/A")):
            if isinstance(attributes, Dictionary) and "/Headers" in attributes:
                attributes.Headers = Array([pikepdf.String(prefix + str(h)) for h in attributes.Headers])


def furniture_as_artifacts(pdf: Pdf) -> None:
    """WeasyPrint tags the running heads and folios (margin boxes) with elements it leaves out of
    the structure tree, so their marked content belongs to nothing a reader can reach, which
    PDF/UA forbids. Page furniture is an artifact: mark it so in the content streams, and drop
    those ParentTree entries. For a PDF straight from WeasyPrint (a part, before the join)."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None or "/ParentTree" not in root:
        return
    documents = {kid.objgen for kid in _as_list(root.get("/K")) if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document}
    parents = NumberTree(root.ParentTree)
    for page in pdf.pages:
        key = int(page.obj.get("/StructParents", -1))
        entries = parents[key] if key >= 0 and key in parents else None
        if not isinstance(entries, Array):
            continue
        furniture = {mcid for mcid, element in enumerate(entries) if _outside_tree(element, documents)}
        if not furniture:
            continue
        for mcid in furniture:
            entries[mcid] = pikepdf.Object.parse(b"null")
        operations = []
        for instruction in pikepdf.parse_content_stream(page):
            operands, operator = list(instruction.operands), instruction.operator
            if str(operator) == "BDC" and _mcid(operands) in furniture:
                operands = [Name.Artifact, Dictionary(Type=Name.Pagination)]
            operations.append((operands, operator))
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(operations))


def _outside_tree(element: pikepdf.Object, part_documents: set[tuple[int, int]]) -> bool:
    """An element whose chain of parents reaches the part's Document element without being one of
    its kids (WeasyPrint's margin boxes hang there)."""
    while isinstance(element, Dictionary) and "/P" in element:
        parent = element.P
        if parent.objgen in part_documents:
            return not any(kid.objgen == element.objgen for kid in _as_list(parent.K))
        element = parent
    return False


def _mcid(operands: list[pikepdf.Object]) -> int | None:
    if len(operands) == 2 and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]:
        return int(operands[1].MCID)
    return None


def _as_list(value: pikepdf.Object | None) -> list[pikepdf.Object]:
    if value is None:
        return []
    return list(value) if isinstance(value, Array) else [value]


# Checking a structure tree ---------------------------------------------------------------------


def structure_problems(pdf: Pdf) -> list[str]:
    """What is wrong with a tagged PDF's structure tree, in words (empty: it is whole):

    - a marked-content id on a page that no element reachable from the StructTreeRoot claims;
    - a ParentTree entry for a page whose elements are not on that page (or are not in the tree);
    - a page or annotation whose key is missing from the ParentTree, or a key used twice.
    """
    problems: list[str] = []
    page_numbers = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    claimed: set[tuple[int, int]] = set()  # (page number, mcid) claimed by the tree
    in_tree: set[tuple[int, int]] = set()  # elements reachable from the root
    for element, page, mcid in _walk_tree(pdf.Root.StructTreeRoot):
        in_tree.add(element.objgen)
        if mcid is not None:
            number = page_numbers.get(page.objgen) if page is not None else None
            if number is None:
                problems.append(f"marked-content id {mcid} claimed by an element with no page")
            else:
                claimed.add((number, mcid))
    parents = {int(key): value for key, value in NumberTree(pdf.Root.StructTreeRoot.ParentTree).items()}
    used: dict[int, str] = {}
    for number, pdf_page in enumerate(pdf.pages, start=1):
        for mcid in marked_content_ids(pdf_page):
            if (number, mcid) not in claimed:
                problems.append(f"page {number}: marked-content id {mcid} is not reachable from the structure tree")
        if "/StructParents" in pdf_page.obj:
            key = int(pdf_page.obj.StructParents)
            if key in used:
                problems.append(f"page {number}: ParentTree key {key} also used by {used[key]}")
            used[key] = f"page {number}"
            entries = parents.get(key)
            if entries is None:
                problems.append(f"page {number}: StructParents {key} has no ParentTree entry")
                continue
            for mcid, element in enumerate(_as_list(entries)):
                if not isinstance(element, Dictionary):
                    continue  # a null: no content with that id
                if element.objgen not in in_tree:
                    problems.append(f"page {number}: ParentTree[{key}][{mcid}] is not in the structure tree")
                elif (on := _page_of(element)) is None or page_numbers.get(on.objgen) != number:
                    problems.append(f"page {number}: ParentTree[{key}][{mcid}] is an element of another page")
        for annotation in _as_list(pdf_page.obj.get("/Annots")):
            if "/StructParent" in annotation:
                key = int(annotation.StructParent)
                if key in used:
                    problems.append(f"page {number}: annotation key {key} also used by {used[key]}")
                used[key] = f"an annotation on page {number}"
                if key not in parents or parents[key].objgen not in in_tree:
                    problems.append(f"page {number}: annotation's StructParent {key} leads to no element in the tree")
    return problems


def _elements(root: pikepdf.Object) -> Iterator[pikepdf.Object]:
    """Every structure element under the root (a lighter walk than `_walk_tree`: no pages, no content)."""
    stack = [kid for kid in _as_list(root.get("/K")) if isinstance(kid, Dictionary)]
    while stack:
        element = stack.pop()
        if "/S" not in element:
            continue  # a marked-content or object reference
        yield element
        kids = element.get("/K")
        if isinstance(kids, Array):
            stack += [kid for kid in kids if isinstance(kid, Dictionary)]
        elif isinstance(kids, Dictionary):
            stack.append(kids)


def _walk_tree(root: pikepdf.Object) -> Iterator[tuple[pikepdf.Object, pikepdf.Object | None, int | None]]:
    """(element, page, mcid) for every element reachable from the root, and for every marked-content
    id it claims (an int kid on the element's /Pg, or a marked-content reference with its own /Pg)."""
    stack: list[tuple[pikepdf.Object, pikepdf.Object | None]] = [(kid, None) for kid in reversed(_as_list(root.get("/K")))]
    seen: set[tuple[int, int]] = set()
    while stack:
        element, page = stack.pop()
        if not isinstance(element, Dictionary) or element.objgen in seen:
            continue
        if element.is_indirect:
            seen.add(element.objgen)
        page = element.get("/Pg", page)
        yield element, page, None
        for kid in _as_list(element.get("/K")):
            if isinstance(kid, int) or (isinstance(kid, pikepdf.Object) and kid._type_code == pikepdf.ObjectType.integer):
                yield element, page, int(kid)
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR:
                yield element, kid.get("/Pg", page), int(kid.MCID)
            elif isinstance(kid, Dictionary) and kid.get("/Type") != Name.OBJR:
                stack.append((kid, page))


def _page_of(element: pikepdf.Object | None) -> pikepdf.Object | None:
    while isinstance(element, Dictionary):
        if "/Pg" in element:
            return element.Pg
        element = element.get("/P")
    return None


def marked_content_ids(page: pikepdf.Page) -> list[int]:
    """The marked-content ids in a page's content stream (BDC operators with an /MCID)."""
    ids = []
    for instruction in pikepdf.parse_content_stream(page):
        if str(instruction.operator) == "BDC" and (mcid := _mcid(list(instruction.operands))) is not None:
            ids.append(mcid)
    return ids
