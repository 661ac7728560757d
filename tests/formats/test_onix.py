"""folio/onix.py: the ONIX 3.0 record, valid against EDItEUR's XSD and in step with the EPUB's OPF."""

from __future__ import annotations

import dataclasses
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import onixcheck
import pytest
from lxml import etree

from folio.errors import ConfigError
from folio.formats import onix
from folio.project.config import BookConfig, load_project

from helpers import REPO, features, schema, text

SCHEMAS = Path(onixcheck.__file__).parent / "schema" / "xsd3.0"
NS = {"o": onix.NAMESPACE}
OPF = {"opf": "http://www.idpf.org/2007/opf"}
CONFORMS = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


@cache
def codelist(number: int) -> dict[str, str]:
    """An ONIX code list as {code: heading}, from the XSD that EDItEUR publishes with the schema."""
    tree = etree.parse(str(SCHEMAS / "ONIX_BookProduct_CodeLists.xsd"))
    xs = {"xs": "http://www.w3.org/2001/XMLSchema"}
    values = tree.xpath(f"//xs:simpleType[@name='List{number}']//xs:enumeration", namespaces=xs)
    return {v.get("value"): v.xpath("string(xs:annotation/xs:documentation[1])", namespaces=xs) for v in values}


def book(**changes: Any) -> BookConfig:
    return dataclasses.replace(load_project(REPO).config, **changes)


def record(config: BookConfig | None = None, **options: object) -> etree._Element:
    arguments: dict[str, object] = {
        "isbn": None,
        "features": ["tableOfContents", "readingOrder", "structuralNavigation"],
        "access_modes": ["textual"],
        "hazards": ["none"],
        "summary": "Text-only book with a navigable table of contents.",
        "conforms_to": CONFORMS,
        "sent": 1767225600,
    }
    arguments.update(options)
    data = onix.onix_record(config or book(), **arguments)  # type: ignore[arg-type]
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(data)
    assert schema().validate(root), schema().error_log
    return root


def test_the_record_is_valid_onix_3_with_one_product():
    root = record()
    assert etree.QName(root).localname == "ONIXMessage" and root.get("release") == "3.0"
    assert text(root, "o:Header/o:Sender/o:SenderName") == ["Folio Press"]
    assert text(root, "o:Header/o:SentDateTime") == ["20260101T000000Z"]
    assert len(root.xpath("o:Product", namespaces=NS)) == 1
    product = root.find("o:Product", NS)
    assert text(product, "o:RecordReference") == ["urn:uuid:6f0b7c52-4a8e-4f3c-9d4e-3c5a35e1a035"]
    assert text(product, "o:NotificationType") == ["03"]
    assert text(product, "o:DescriptiveDetail/o:ProductComposition") == ["00"]
    assert text(product, "o:DescriptiveDetail/o:ProductForm") == ["ED"]
    assert text(product, "o:DescriptiveDetail/o:ProductFormDetail") == ["E101", "E200"]
    assert features(product, "15") == ["101F"]
    assert codelist(220)["101F"] == "EPUB 3.3"
    assert text(product, "o:DescriptiveDetail/o:TitleDetail[o:TitleType='01']/o:TitleElement/o:TitleText") == ["The Axis of Resentment"]
    assert text(product, "o:DescriptiveDetail/o:TitleDetail/o:TitleElement/o:Subtitle") == ["Russia, Iran and the War in Syria"]
    contributor = "o:DescriptiveDetail/o:Contributor[o:ContributorRole='A01']"
    assert text(product, f"{contributor}/o:PersonName") == ["Folio Press Author"]
    assert text(product, "o:DescriptiveDetail/o:Language[o:LanguageRole='01']/o:LanguageCode") == ["eng"]
    assert text(product, "o:PublishingDetail/o:Publisher[o:PublishingRole='01']/o:PublisherName") == ["Folio Press"]
    assert text(product, "o:PublishingDetail/o:PublishingDate[o:PublishingDateRole='01']/o:Date") == ["2026"]
    assert product.xpath("string(o:PublishingDetail/o:PublishingDate/o:Date/@dateformat)", namespaces=NS) == "05"


def test_accessibility_codes_follow_the_crosswalk():
    root = record()
    assert features(root, "09") == ["00", "04", "10", "11", "13", "29", "32", "52", "82", "85"]
    assert text(root, "//o:ProductFormFeature[o:ProductFormFeatureValue='00']/o:ProductFormFeatureDescription") == [
        "Text-only book with a navigable table of contents."
    ]
    headings = codelist(196)
    assert headings["11"] == "Table of contents navigation"
    assert headings["13"] == "Single logical reading order"
    assert headings["29"] == "Next / Previous structural navigation"
    assert headings["52"] == "All non-decorative content supports reading without sight"
    assert (headings["04"], headings["82"], headings["85"]) == ("EPUB Accessibility Specification 1.1", "WCAG v2.2", "WCAG level AA")
    # Hazards are ONIX list 143 under feature type 12, not list 196.
    assert features(root, "12") == ["00"]
    assert codelist(143)["00"] == "No known hazards or warnings"


def test_every_code_in_the_mapping_tables_is_in_its_onix_list():
    list196 = codelist(196)
    mapped = [*onix.FEATURE_CODES.values(), *onix.ACCESS_MODE_CODES.values(), *onix.FOLIO_CODES]
    mapped += [*onix.WCAG_VERSION_CODES.values(), *onix.WCAG_LEVEL_CODES.values(), "04"]
    mapped += [code for codes in onix.EPUB_A11Y_10_CODES.values() for code in codes]
    assert sorted(set(mapped) - set(list196)) == []
    assert sorted(set(onix.HAZARD_CODES.values()) - set(codelist(143))) == []
    assert not set(onix.FEATURE_CODES) & onix.FEATURES_WITHOUT_CODE
    list74 = codelist(74)
    assert sorted(set(onix.ISO639_1_TO_2B.values()) - set(list74)) == []
    assert sorted(set(onix.ISO639_2T_TO_2B.values()) - set(list74)) == []


def test_the_record_restates_the_books_opf(built):
    """Whatever the OPF template declares, the ONIX record can say (or the mapping table is out of date)."""
    with zipfile.ZipFile(built.epub) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))

    def meta(prop: str) -> list[str]:
        return [str(t) for t in opf.xpath(f"//opf:meta[@property='{prop}']/text()", namespaces=OPF)]

    conforms = meta("dcterms:conformsTo")
    root = record(
        features=meta("schema:accessibilityFeature"),
        access_modes=meta("schema:accessModeSufficient"),
        hazards=meta("schema:accessibilityHazard"),
        summary=meta("schema:accessibilitySummary")[0],
        conforms_to=conforms[0] if conforms else None,
    )
    codes = features(root, "09")
    assert {"00", "11", "13", "29", "52"} <= set(codes)
    assert ("04" in codes) == bool(conforms)
    assert features(root, "12") == [onix.HAZARD_CODES[h] for h in meta("schema:accessibilityHazard")]


def test_an_isbn_is_the_product_identifier():
    root = record(isbn="978-0-306-40615-7")
    assert text(root, "//o:ProductIdentifier/o:ProductIDType") == ["15"]
    assert text(root, "//o:ProductIdentifier/o:IDValue") == ["9780306406157"]


def test_an_isbn_urn_identifier_is_used_when_no_isbn_is_given():
    root = record(book(identifier="urn:isbn:9780306406157"))
    assert text(root, "//o:ProductIdentifier/o:ProductIDType") == ["15"]
    assert text(root, "//o:ProductIdentifier/o:IDValue") == ["9780306406157"]


def test_without_an_isbn_the_identifier_is_proprietary():
    root = record()
    assert text(root, "//o:ProductIdentifier/o:ProductIDType") == ["01"]
    assert text(root, "//o:ProductIdentifier/o:IDTypeName") == ["Publication identifier"]
    assert text(root, "//o:ProductIdentifier/o:IDValue") == ["urn:uuid:6f0b7c52-4a8e-4f3c-9d4e-3c5a35e1a035"]


@pytest.mark.parametrize("isbn", ["978-0-306-40615-8", "0-306-40615-2", "97803064061", "isbn"])
def test_a_wrong_isbn_is_refused(isbn: str):
    with pytest.raises(ConfigError, match="isbn"):
        record(isbn=isbn)


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en-US", "eng"), ("en", "eng"), ("de-DE", "ger"), ("fr-CA", "fre"), ("zh-Hans", "chi"), ("deu", "ger"), ("haw", "haw")],
)
def test_language_is_iso_639_2_b(tag: str, code: str):
    assert onix.language_code(tag) == code
    assert code in codelist(74)


def test_an_unknown_language_is_refused():
    with pytest.raises(ConfigError, match="'xx-YY'"):
        onix.language_code("xx-YY")


@pytest.mark.parametrize(
    ("date", "digits", "form"), [("2026", "2026", "05"), ("2026-03", "202603", "01"), ("2026-03-15", "20260315", "00")]
)
def test_publication_date_formats(date: str, digits: str, form: str):
    root = record(book(date=date))
    assert text(root, "//o:PublishingDate/o:Date") == [digits]
    assert root.xpath("string(//o:PublishingDate/o:Date/@dateformat)", namespaces=NS) == form


def test_optional_parts_are_left_out_when_the_book_has_none():
    root = record(book(subtitle="", date=""), summary="", conforms_to=None)
    assert root.xpath("//o:Subtitle | //o:PublishingDate", namespaces=NS) == []
    assert "00" not in features(root, "09") and "04" not in features(root, "09")


def test_a_publisher_is_required():
    with pytest.raises(ConfigError, match="publisher"):
        record(book(publisher=""))


@pytest.mark.parametrize(
    ("conforms_to", "codes"),
    [
        ("EPUB Accessibility 1.1 - WCAG 2.1 Level A", ["04", "81", "84"]),
        ("EPUB Accessibility 1.1 - WCAG 2.0 Level AAA", ["04", "80", "86"]),
        ("http://www.idpf.org/epub/a11y/accessibility-20170105.html#wcag-aa", ["03"]),
        ("http://www.idpf.org/epub/a11y/accessibility-20170105.html#wcag-aaa", ["03", "86"]),
    ],
)
def test_conformance_statements(conforms_to: str, codes: list[str]):
    assert onix.conformance_codes(conforms_to) == codes


def test_an_unknown_conformance_statement_is_refused():
    with pytest.raises(ConfigError, match="dcterms:conformsTo"):
        onix.conformance_codes("WCAG 2.2 AA, more or less")


def test_an_unmapped_feature_is_refused_with_a_hint():
    with pytest.raises(ConfigError, match=r"tableOfContent.*did you mean 'tableOfContents'"):
        record(features=["tableOfContent"])


def test_features_without_an_onix_code_are_left_out():
    root = record(
        features=["tableOfContents", "unlocked", "rubyAnnotations"], hazards=["noFlashingHazard", "unknownSoundHazard", "unknown"]
    )
    assert "11" in features(root, "09")
    assert features(root, "12") == ["14", "25"]


def test_the_time_stamp_comes_from_source_date_epoch(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first = onix.onix_record(book(), isbn=None, features=[], access_modes=[], hazards=[], summary="", conforms_to=None)
    second = onix.onix_record(book(), isbn=None, features=[], access_modes=[], hazards=[], summary="", conforms_to=None)
    assert first == second
    assert b"<SentDateTime>20260101T000000Z</SentDateTime>" in first


def test_markup_in_the_metadata_is_escaped():
    root = record(book(title="Salt & <Iron>"), summary="Notes <linked> & numbered.")
    assert text(root, "//o:TitleText") == ["Salt & <Iron>"]
