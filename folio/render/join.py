"""Join PDFs that WeasyPrint laid out one part at a time (the front matter, each chapter) into one
book, as if it had been laid out in one pass.

pikepdf copies pages, but a tagged PDF is more than its pages: the outline, the named
destinations that internal links point at (`pages.extend` drops them), and the PDF/UA structure
tree, which pikepdf does not merge at all. This module merges each of them:

- pages in order, with a blank verso wherever a part must open on a recto;
- one outline: each part's top-level items, in order;
- `/Names /Dests` merged, so a `/Dest` name in one part finds its place in another;
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

import io
import warnings
from collections.abc import Iterator, Sequence

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, Pdf

LINK_SCHEME = "folio-anchor:"
DOCUMENT_WIDE = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata")


def join(
    parts: Sequence[bytes], blank_before: Sequence[bool] | None = None, *, link_scheme: str = LINK_SCHEME, unique_ids: bool = True
) -> bytes:
    """The parts as one PDF. `blank_before[i]`: a blank page goes before part i (the verso left
    empty when the previous part ends on a recto and part i must open on one).

    A link to a place in another part cannot be an internal link when the part is laid out
    (WeasyPrint drops a link to an anchor it does not have), so it is laid out as a link to
    `link_scheme` + the anchor's name; the join makes it an internal link to that name.

    Element ids (table headers') that two parts share are renamed (`unique_ids`), which takes a
    walk of every part's tree: a caller whose parts' ids are unique already (`prefix_ids`, run
    where each part is laid out) says so with `unique_ids=False`."""
    blank_before = list(blank_before or [False] * len(parts))
    if len(blank_before) != len(parts):
        raise ValueError("one blank_before flag per part")
    out = Pdf.new()
    with Pdf.open(io.BytesIO(parts[0])) as first:
        _copy_document_wide(first, out)
        tagged = "/StructTreeRoot" in first.Root
    tree = _Tree(out, unique_ids) if tagged else None
    outline = _Outline(out)
    dests: dict[str, pikepdf.Object] = {}
    labels: list[tuple[int, pikepdf.Object]] = []
    version = "1.4"
    for data, blank in zip(parts, blank_before, strict=True):
        # Each part is let go of once copied, not closed: the copied streams still read their data
        # from its bytes, but the objects it parsed are freed (the join's peak memory is the book,
        # not the book and every part).
        src = Pdf.open(io.BytesIO(data))
        version = max(version, src.pdf_version)
        if blank:
            _add_blank_page(out)
        first_page = len(out.pages)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            out.pages.extend(src.pages)  # its named destinations are merged below
        copied = _copy(src, out, src.Root)  # the same copies of pages and annotations as above
        pages = [out.pages[first_page + i].obj for i in range(len(src.pages))]
        for page in pages:
            _internal_links(page, link_scheme)
        if tree is not None:
            if "/StructTreeRoot" not in copied:
                raise ValueError("a part without a structure tree joined to tagged ones")
            tree.add(copied.StructTreeRoot, pages)
        if "/Outlines" in copied:
            outline.add(copied.Outlines)
        if "/Names" in copied and "/Dests" in copied.Names:
            for name, dest in NameTree(copied.Names.Dests).items():
                dests.setdefault(name, dest)  # the first place of a name wins, as in one pass
        if "/PageLabels" in copied:
            labels += [(first_page + int(index), label) for index, label in NumberTree(copied.PageLabels).items()]
        del src, copied
    if tree is not None:
        tree.finish()
    outline.finish()
    if dests:
        names = NameTree.new(out)  # kept in the order a name tree needs
        for name, dest in dests.items():
            names[name] = dest
        out.Root.Names = Dictionary(Dests=names.obj)
    if labels:
        numbers = NumberTree.new(out)
        for index, label in labels:
            numbers[index] = label
        out.Root.PageLabels = numbers.obj
    buffer = io.BytesIO()
    # Object streams: the merged structure tree is thousands of small dictionaries (without, the file is 3 to 4 times larger).
    out.save(buffer, deterministic_id=True, min_version=version, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _internal_links(page: pikepdf.Object, scheme: str) -> None:
    """Links to `scheme`NAME become links to the named destination NAME (as WeasyPrint makes them)."""
    for annotation in _as_list(page.get("/Annots")):
        action = annotation.get("/A")
        if action is None or action.get("/S") != Name.URI or not str(action.get("/URI", "")).startswith(scheme):
            continue
        name = str(action.URI)[len(scheme) :]
        del annotation.A
        annotation.Dest = pikepdf.String(name)
        if "/Contents" in annotation:
            annotation.Contents = pikepdf.String(name)


def _copy_document_wide(src: Pdf, out: Pdf) -> None:
    for key in DOCUMENT_WIDE:
        if key in src.Root:
            out.Root[key] = _copy(src, out, src.Root[key])
    if "/Info" in src.trailer:
        out.trailer.Info = _copy(src, out, src.trailer.Info)


def _copy(src: Pdf, out: Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """`src`'s object copied into `out` (pikepdf copies only indirect objects across documents)."""
    return out.copy_foreign(obj if obj.is_indirect else src.make_indirect(obj))


def _add_blank_page(out: Pdf) -> None:
    """An empty page of the same boxes as the page before it (as WeasyPrint's :blank page is)."""
    before = out.pages[-1].obj
    page = Dictionary(Type=Name.Page, Resources=Dictionary())
    for key in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox", "/ArtBox", "/Tabs"):
        if key in before:
            page[key] = before[key]
    out.pages.append(pikepdf.Page(page))


class _Tree:
    """One structure tree growing part by part."""

    def __init__(self, out: Pdf, unique_ids: bool = True):
        self.out = out
        self.unique_ids = unique_ids
        self.root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        self.document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=self.root, K=Array()))
        self.root.K = Array([self.document])
        self.parents: dict[int, pikepdf.Object] = {}
        self.next_key = 0
        self.ids: dict[str, pikepdf.Object] = {}
        self.element_ids: set[str] = set()
        self.role_map = Dictionary()
        self.class_map = Dictionary()

    def add(self, root: pikepdf.Object, pages: Sequence[pikepdf.Object]) -> None:
        """A part's (copied) StructTreeRoot, and its (copied) pages in the joined document."""
        kids = _as_list(root.get("/K"))
        part_documents = {kid.objgen for kid in kids if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document}
        for kid in kids:
            for element in _as_list(kid.K) if kid.objgen in part_documents else [kid]:
                if isinstance(element, Dictionary):
                    element.P = self.document
                self.document.K.append(element)
        if self.unique_ids:
            self._unique_ids(root)
        # Renumber: every key of this part moves past the keys used so far.
        base, top = self.next_key, -1
        entries = {int(key): value for key, value in NumberTree(root.ParentTree).items()} if "/ParentTree" in root else {}
        for key, value in entries.items():
            self.parents[base + int(key)] = value
            top = max(top, key)
        for page in pages:
            if "/StructParents" in page:
                page.StructParents = base + int(page.StructParents)
                top = max(top, int(page.StructParents) - base)
            for annotation in _as_list(page.get("/Annots")):
                if "/StructParent" in annotation:
                    annotation.StructParent = base + int(annotation.StructParent)
        self.next_key = base + top + 1
        if "/IDTree" in root:
            for id_, element in NameTree(root.IDTree).items():
                self.ids.setdefault(id_, element)
        for map_name, target in (("/RoleMap", self.role_map), ("/ClassMap", self.class_map)):
            for role, value in dict(root.get(map_name, Dictionary())).items():
                if role not in target:
                    target[role] = value

    def _unique_ids(self, root: pikepdf.Object) -> None:
        """Element ids (WeasyPrint gives table headers ids made of their object numbers, and cells
        point at them by /Headers) kept unique across parts: an id another part already has is
        renamed, here and in the /Headers that name it."""
        elements = [element for element in _elements(root) if "/ID" in element or "/A" in element]
        renamed: dict[str, str] = {}
        for element in elements:
            if "/ID" in element:
                id_ = str(element.ID)
                if id_ in self.element_ids:
                    renamed[id_] = f"{id_}-{len(self.element_ids)}"
                    element.ID = pikepdf.String(renamed[id_])
                self.element_ids.add(str(element.ID))
        if not renamed:
            return
        for element in elements:
            for attributes in _as_list(element.get("/A")):
                if isinstance(attributes, Dictionary) and "/Headers" in attributes:
                    attributes.Headers = Array([pikepdf.String(renamed.get(str(h), str(h))) for h in attributes.Headers])

    def finish(self) -> None:
        parent_tree = NumberTree.new(self.out)
        for key in sorted(self.parents):
            parent_tree[key] = self.parents[key]
        self.root.ParentTree = parent_tree.obj
        self.root.ParentTreeNextKey = self.next_key
        if self.ids:
            ids = NameTree.new(self.out)
            for id_, element in self.ids.items():
                ids[id_] = element
            self.root.IDTree = ids.obj
        if self.role_map:
            self.root.RoleMap = self.role_map
        if self.class_map:
            self.root.ClassMap = self.class_map
        self.out.Root.StructTreeRoot = self.root


class _Outline:
    """One outline: each part's top-level items, one after the other."""

    def __init__(self, out: Pdf, unique_ids: bool = True):
        self.out = out
        self.unique_ids = unique_ids
        self.items: list[pikepdf.Object] = []
        self.count = 0

    def add(self, outlines: pikepdf.Object) -> None:
        item = outlines.get("/First")
        while item is not None:
            self.items.append(item)
            item = item.get("/Next")
        self.count += int(outlines.get("/Count", 0))

    def finish(self) -> None:
        if not self.items:
            return
        root = self.out.make_indirect(Dictionary(Type=Name.Outlines, First=self.items[0], Last=self.items[-1], Count=self.count))
        for previous, item in zip([None, *self.items], self.items, strict=False):
            item.Parent = root
            if previous is None:
                if "/Prev" in item:
                    del item.Prev
            else:
                item.Prev = previous
                previous.Next = item
        if "/Next" in self.items[-1]:
            del self.items[-1].Next
        self.out.Root.Outlines = root


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
