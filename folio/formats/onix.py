"""The EPUB's ONIX 3.0 record: one Product in an ONIXMessage, reference tags, for retailers and libraries.

Its accessibility details restate the package document's schema.org metadata in ONIX terms. The
tables below are the W3C crosswalk (Schema.org Accessibility Properties Crosswalk, EPUB and ONIX)
checked against ONIX code lists issue 75 (as onixcheck 0.9.12 ships them). Keep them in step with
templates/package.opf.j2: a value used there must be a key here (or listed as having no ONIX
equivalent), or onix_record() refuses it.
"""

from __future__ import annotations

import re

from lxml import etree

from folio.checks.findings import closest
from folio.errors import ConfigError
from folio.formats import Inputs, Rendered
from folio.project import stamp
from folio.project.config import BookConfig, Project
from folio.project.manuscript import IMAGE

NAMESPACE = "http://ns.editeur.org/onix/3.0/reference"

# schema:accessibilityFeature -> ONIX list 196 (E-publication accessibility details), feature type 09.
FEATURE_CODES = {
    "alternativeText": "14",  # Short alternative textual descriptions
    "ARIA": "30",  # ARIA roles provided
    "ChemML": "18",  # Accessible chemistry content as ChemML
    "describedMath": "53",  # Described math content
    "displayTransformability": "36",  # Appearance of all textual content can be modified
    "highContrastAudio": "27",  # High contrast between foreground and background audio
    "highContrastDisplay": "37",  # Ultra-high contrast between text foreground and background
    "index": "12",  # Index navigation
    "latex": "35",  # Accessible math content (as LaTeX)
    "latex-chemistry": "54",  # Accessible chemistry content (as LaTeX)
    "longDescription": "15",  # Full alternative textual descriptions
    "MathML": "17",  # Accessible math content as MathML
    "MathML-chemistry": "34",  # Accessible chemistry content (as MathML)
    "none": "09",  # Inaccessible, or known limited accessibility
    "pageBreakMarkers": "19",  # Print-equivalent page numbering
    "printPageNumbers": "19",  # (the older name of pageBreakMarkers)
    "pageNavigation": "41",  # Page list navigation
    "readingOrder": "13",  # Single logical reading order
    "structuralNavigation": "29",  # Next / Previous structural navigation
    "synchronizedAudioText": "20",  # Synchronised pre-recorded audio
    "tableOfContents": "11",  # Table of contents navigation
    "taggedPDF": "05",  # PDF/UA-1
    "ttsMarkup": "21",  # Text-to-speech hinting provided
    "unknown": "08",  # Unknown accessibility
}
# Values the crosswalk gives no list 196 code (some belong to other lists: captions are list 175).
FEATURES_WITHOUT_CODE = {
    "annotations", "audioDescription", "bookmarks", "braille", "captions", "closedCaptions", "fullRubyAnnotations",
    "horizontalWriting", "largePrint", "openCaptions", "rubyAnnotations", "signLanguage", "tactileGraphic",
    "tactileObject", "timingControl", "transcript", "unlocked", "verticalWriting", "withAdditionalWordSegmentation",
    "withoutAdditionalWordSegmentation",
}  # fmt: skip

# schema:accessModeSufficient -> list 196.
ACCESS_MODE_CODES = {
    "textual": "52",  # All non-decorative content supports reading without sight
    "auditory": "51",  # All non-decorative content supports reading via pre-recorded audio
}

# schema:accessibilityHazard -> ONIX list 143 (hazard warnings), feature type 12: list 196 has no hazards.
HAZARD_CODES = {
    "none": "00",  # No known hazards or warnings
    "flashing": "13",
    "noFlashingHazard": "14",
    "unknownFlashingHazard": "24",
    "sound": "15",
    "noSoundHazard": "16",
    "unknownSoundHazard": "25",
    "motionSimulation": "17",
    "noMotionSimulationHazard": "18",
    "unknownMotionSimulationHazard": "26",
}

# dcterms:conformsTo -> list 196: EPUB Accessibility 1.1 (04), WCAG version (80-82) and level (84-86).
WCAG_VERSION_CODES = {"2.0": "80", "2.1": "81", "2.2": "82"}
WCAG_LEVEL_CODES = {"A": "84", "AA": "85", "AAA": "86"}
EPUB_A11Y_10 = "http://www.idpf.org/epub/a11y/accessibility-20170105.html#wcag-"
EPUB_A11Y_10_CODES = {"a": ["02"], "aa": ["03"], "aaa": ["03", "86"]}

# What every Folio EPUB is, whatever book.yaml says: reflowable text with no DRM, so no reading
# system option is disabled (10), and nav.xhtml.j2 always writes a landmarks nav (32).
FOLIO_CODES = ["10", "32"]

# ISO 639-1 -> ISO 639-2/B (ONIX list 74), from Debian's iso-codes; where B and T differ, B.
_ISO639 = """
aa:aar ab:abk af:afr ak:aka am:amh ar:ara an:arg as:asm av:ava ae:ave ay:aym az:aze ba:bak bm:bam be:bel bn:ben bh:bih bi:bis
bo:tib bs:bos br:bre bg:bul ca:cat cs:cze ch:cha ce:che cu:chu cv:chv kw:cor co:cos cr:cre cy:wel da:dan de:ger dv:div dz:dzo
el:gre en:eng eo:epo et:est eu:baq ee:ewe fo:fao fa:per fj:fij fi:fin fr:fre fy:fry ff:ful gd:gla ga:gle gl:glg gv:glv gn:grn
gu:guj ht:hat ha:hau he:heb hz:her hi:hin ho:hmo hr:hrv hu:hun hy:arm ig:ibo io:ido ii:iii iu:iku ie:ile ia:ina id:ind ik:ipk
is:ice it:ita jv:jav ja:jpn kl:kal kn:kan ks:kas ka:geo kr:kau kk:kaz km:khm ki:kik rw:kin ky:kir kv:kom kg:kon ko:kor kj:kua
ku:kur lo:lao la:lat lv:lav li:lim ln:lin lt:lit lb:ltz lu:lub lg:lug mh:mah ml:mal mr:mar mk:mac mg:mlg mt:mlt mn:mon mi:mao
ms:may my:bur na:nau nv:nav nr:nbl nd:nde ng:ndo ne:nep nl:dut nn:nno nb:nob no:nor ny:nya oc:oci oj:oji or:ori om:orm os:oss
pa:pan pi:pli pl:pol pt:por ps:pus qu:que rm:roh ro:rum rn:run ru:rus sg:sag sa:san si:sin sk:slo sl:slv se:sme sm:smo sn:sna
sd:snd so:som st:sot es:spa sq:alb sc:srd sr:srp ss:ssw su:sun sw:swa sv:swe ty:tah ta:tam tt:tat te:tel tg:tgk tl:tgl th:tha
ti:tir to:ton tn:tsn ts:tso tk:tuk tr:tur tw:twi ug:uig uk:ukr ur:urd uz:uzb ve:ven vi:vie vo:vol wa:wln wo:wol xh:xho yi:yid
yo:yor za:zha zh:chi zu:zul
"""
ISO639_1_TO_2B = dict(pair.split(":") for pair in _ISO639.split())
ISO639_2T_TO_2B = {t: b for t, b in (("bod", "tib"), ("ces", "cze"), ("cym", "wel"), ("deu", "ger"), ("ell", "gre"),
    ("eus", "baq"), ("fas", "per"), ("fra", "fre"), ("hye", "arm"), ("isl", "ice"), ("kat", "geo"), ("mkd", "mac"),
    ("mri", "mao"), ("msa", "may"), ("mya", "bur"), ("nld", "dut"), ("ron", "rum"), ("slk", "slo"), ("sqi", "alb"),
    ("zho", "chi"))}  # fmt: skip


def onix_record(
    book: BookConfig,
    *,
    isbn: str | None,
    features: list[str],
    access_modes: list[str],
    hazards: list[str],
    summary: str,
    conforms_to: str | None,
    sent: float | None = None,
) -> bytes:
    """The EPUB edition of `book` as an ONIX 3.0 message (UTF-8 XML, reference tags).

    isbn: the EPUB's ISBN-13 (hyphens allowed); None takes it from `book.identifier` when that is
    'urn:isbn:...', and otherwise identifies the product by `book.identifier` (proprietary scheme).
    features, access_modes, hazards, summary, conforms_to: the OPF's schema:accessibilityFeature,
    schema:accessModeSufficient, schema:accessibilityHazard and schema:accessibilitySummary values and
    its dcterms:conformsTo (e.g. 'EPUB Accessibility 1.1 - WCAG 2.2 Level AA').
    sent: the header's time stamp (seconds since the epoch); default SOURCE_DATE_EPOCH, else now.
    """
    _require_publisher(book)
    accessibility = accessibility_codes(features, access_modes, conforms_to)
    hazard_codes = _codes("schema:accessibilityHazard", hazards, HAZARD_CODES, {"unknown"})
    if isbn is None and book.identifier.lower().startswith("urn:isbn:"):
        isbn = book.identifier[len("urn:isbn:") :]
    language = language_code(book.language)

    root = etree.Element(f"{{{NAMESPACE}}}ONIXMessage", nsmap={None: NAMESPACE}, release="3.0")
    header = _add(root, "Header")
    sender = _add(header, "Sender")
    _add(sender, "SenderName", book.publisher)
    _add(header, "SentDateTime", _sent_time(sent))

    product = _add(root, "Product")
    _add(product, "RecordReference", book.identifier)
    _add(product, "NotificationType", "03")  # confirmed, on publication
    identifier = _add(product, "ProductIdentifier")
    if isbn is not None:
        _add(identifier, "ProductIDType", "15")  # ISBN-13
        _add(identifier, "IDValue", isbn13(isbn))
    else:
        _add(identifier, "ProductIDType", "01")  # proprietary
        _add(identifier, "IDTypeName", "Publication identifier")
        _add(identifier, "IDValue", book.identifier)

    detail = _add(product, "DescriptiveDetail")
    _add(detail, "ProductComposition", "00")  # single-component retail product
    _add(detail, "ProductForm", "ED")  # digital download
    _add(detail, "ProductFormDetail", "E101")  # EPUB
    _add(detail, "ProductFormDetail", "E200")  # reflowable
    _feature(detail, "15", "101F")  # E-publication format version code (list 220): EPUB 3.3
    if summary.strip():
        _feature(detail, "09", "00", " ".join(summary.split()))
    for code in accessibility:
        _feature(detail, "09", code)
    for code in hazard_codes:
        _feature(detail, "12", code)
    _add(detail, "PrimaryContentType", "10")  # text (eye-readable)
    _add(detail, "EpubTechnicalProtection", "00")  # none
    title = _add(detail, "TitleDetail")
    _add(title, "TitleType", "01")  # distinctive title
    element = _add(title, "TitleElement")
    _add(element, "TitleElementLevel", "01")  # the product itself
    _add(element, "TitleText", book.title)
    if book.subtitle:
        _add(element, "Subtitle", book.subtitle)
    contributor = _add(detail, "Contributor")
    _add(contributor, "SequenceNumber", "1")
    _add(contributor, "ContributorRole", "A01")  # by (author)
    _add(contributor, "PersonName", book.author)
    lang = _add(detail, "Language")
    _add(lang, "LanguageRole", "01")  # language of text
    _add(lang, "LanguageCode", language)

    publishing = _add(product, "PublishingDetail")
    publisher = _add(publishing, "Publisher")
    _add(publisher, "PublishingRole", "01")
    _add(publisher, "PublisherName", book.publisher)
    _add(publishing, "PublishingStatus", "04")  # active
    if book.date:
        date = _add(publishing, "PublishingDate")
        _add(date, "PublishingDateRole", "01")  # publication date
        # List 55: 00 is YYYYMMDD, 01 YYYYMM, 05 YYYY.
        digits = book.date.replace("-", "")
        _add(date, "Date", digits).set("dateformat", {8: "00", 6: "01", 4: "05"}[len(digits)])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def accessibility_codes(features: list[str], access_modes: list[str], conforms_to: str | None) -> list[str]:
    """List 196 codes for the OPF's accessibility metadata, in code order, each once."""
    codes = _codes("schema:accessibilityFeature", features, FEATURE_CODES, FEATURES_WITHOUT_CODE)
    codes += _codes("schema:accessModeSufficient", access_modes, ACCESS_MODE_CODES, {"visual", "tactile"})
    codes += conformance_codes(conforms_to) + FOLIO_CODES
    return sorted(set(codes))


def conformance_codes(conforms_to: str | None) -> list[str]:
    if not conforms_to:
        return []
    text = conforms_to.strip()
    match = re.fullmatch(r"EPUB Accessibility 1\.1 - WCAG (2\.[012]) Level (A{1,3})", text)
    if match:
        return ["04", WCAG_VERSION_CODES[match[1]], WCAG_LEVEL_CODES[match[2]]]
    if text.startswith(EPUB_A11Y_10) and text[len(EPUB_A11Y_10) :] in EPUB_A11Y_10_CODES:
        return EPUB_A11Y_10_CODES[text[len(EPUB_A11Y_10) :]]
    raise ConfigError(
        f"dcterms:conformsTo: '{conforms_to}' is not an EPUB Accessibility conformance statement "
        "(write 'EPUB Accessibility 1.1 - WCAG 2.2 Level AA')"
    )


def language_code(tag: str) -> str:
    """ONIX list 74 (ISO 639-2/B) for a BCP 47 tag: en-US -> eng, de -> ger, fra -> fre."""
    primary = tag.split("-")[0].lower()
    if len(primary) == 2 and primary in ISO639_1_TO_2B:
        return ISO639_1_TO_2B[primary]
    if len(primary) == 3:
        return ISO639_2T_TO_2B.get(primary, primary)
    raise ConfigError(f"language: '{tag}' has no ISO 639-2 code for ONIX (use a tag such as en-US)")


def isbn13(text: str) -> str:
    """An ISBN-13 without hyphens or spaces; ConfigError when it is not one (check digit included)."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"97[89]\d{10}", digits):
        raise ConfigError(f"isbn: '{text}' is not an ISBN-13 (13 digits starting 978 or 979)")
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10
    if int(digits[12]) != check:
        raise ConfigError(f"isbn: '{text}' has a wrong check digit (expected {check})")
    return digits


def _codes(prop: str, values: list[str], table: dict[str, str], without: set[str] | None = None) -> list[str]:
    codes = []
    for value in values:
        if value in table:
            codes.append(table[value])
        elif without is None or value not in without:
            hint = closest(value, [*table, *(without or ())])
            raise ConfigError(f"{prop}: '{value}' has no ONIX mapping in folio/onix.py" + (f" ({hint})" if hint else ""))
    return list(dict.fromkeys(codes))


def _sent_time(sent: float | None) -> str:
    return (stamp.now() if sent is None else stamp.Stamp(sent)).onix


def _add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _feature(detail: etree._Element, kind: str, value: str, description: str | None = None) -> None:
    feature = _add(detail, "ProductFormFeature")
    _add(feature, "ProductFormFeatureType", kind)
    _add(feature, "ProductFormFeatureValue", value)
    if description is not None:
        _add(feature, "ProductFormFeatureDescription", description)


def requirements(project: Project) -> list[str]:
    """What ONIX needs that an EPUB does not: the publisher, a valid ISBN when the identifier is one,
    and a language ONIX has a code for. Checked before anything is built."""
    problems = []
    book = project.config
    for key, check in (
        ("publisher", lambda: _require_publisher(book)),
        ("identifier", lambda: book.identifier.lower().startswith("urn:isbn:") and isbn13(book.identifier[len("urn:isbn:") :])),
        ("language", lambda: language_code(book.language)),
    ):
        try:
            check()
        except ConfigError as exc:
            problems.append(f"{project.book_file}:{project.line_of(key)}: {exc}")
    return problems


def _require_publisher(book: BookConfig) -> None:
    if not book.publisher:
        raise ConfigError("publisher: ONIX needs the publisher's name (a self-published book gives its author's)")


def render(inputs: Inputs) -> Rendered:
    images = any(IMAGE.search(chapter.masked_body) for chapter in inputs.checked.chapters)
    return Rendered(record(inputs.project, images))


def record(project: Project, images: bool) -> bytes:
    """The ONIX record of the project's EPUB, declaring what the EPUB's own metadata declares."""
    from folio.formats.epub import accessibility

    a11y = accessibility(project, images)
    return onix_record(
        project.config,
        isbn=None,
        features=a11y.features,
        access_modes=a11y.sufficient,
        hazards=a11y.hazards,
        summary=a11y.summary,
        conforms_to=a11y.conforms_to,
        sent=project.build_time().seconds,
    )
