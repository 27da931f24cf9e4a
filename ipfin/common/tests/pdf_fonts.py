"""Reading a PDF's fonts back with pypdf, for the tests of every PDF the platform writes: each
font is embedded (its descriptor holds FontFile, FontFile2 or FontFile3) and none is one of the
standard 14 (Helvetica, Times, ...) that a viewer substitutes. Fonts are looked up on every page
and in the form XObjects a page draws (charts), a Type0 font through its descendant."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pypdf

STANDARD_14 = (
    "Courier",
    "Helvetica",
    "Times",
    "Symbol",
    "ZapfDingbats",
)
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class PdfFont:
    base_font: str
    subtype: str
    embedded: bool


def _descriptor(font: Any) -> Any:
    if "/FontDescriptor" in font:
        return font["/FontDescriptor"].get_object()
    descendants = font.get("/DescendantFonts")
    if descendants:
        child = descendants.get_object()[0].get_object()
        if "/FontDescriptor" in child:
            return child["/FontDescriptor"].get_object()
    return None


def _walk(resources: Any, found: dict[str, PdfFont], seen: set[int]) -> None:
    if resources is None:
        return
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        descriptor = _descriptor(font)
        embedded = descriptor is not None and any(key in descriptor for key in _FONT_FILES)
        name = str(font.get("/BaseFont", "?"))
        found[f"{name}:{id(font)}"] = PdfFont(name, str(font.get("/Subtype")), embedded)
    for xobject in (resources.get("/XObject") or {}).values():
        obj = xobject.get_object()
        if obj.get("/Subtype") == "/Form" and id(obj) not in seen:
            seen.add(id(obj))
            _walk(obj.get("/Resources"), found, seen)


def pdf_fonts(data: bytes) -> list[PdfFont]:
    """Every font the PDF's pages use."""
    found: dict[str, PdfFont] = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        _walk(page.get("/Resources"), found, set())
    return list(found.values())


def assert_fonts_embedded(data: bytes) -> list[PdfFont]:
    """Fail unless the PDF uses at least one font and every one is embedded and none is a
    standard-14 font; the fonts for further checks."""
    fonts = pdf_fonts(data)
    assert fonts, "the PDF uses no font at all"
    not_embedded = [f for f in fonts if not f.embedded]
    assert not not_embedded, f"fonts not embedded: {not_embedded}"
    standard = [f for f in fonts if f.base_font.lstrip("/").split("+")[-1].startswith(STANDARD_14)]
    assert not standard, f"standard-14 fonts used: {standard}"
    return fonts


def pdf_text(data: bytes) -> str:
    """The text of every page, joined."""
    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_has_image(data: bytes) -> bool:
    """True when a page draws an image XObject (directly or inside a form XObject)."""

    def walk(resources: Any, seen: set[int]) -> bool:
        if resources is None:
            return False
        resources = resources.get_object()
        for xobject in (resources.get("/XObject") or {}).values():
            obj = xobject.get_object()
            if obj.get("/Subtype") == "/Image":
                return True
            if obj.get("/Subtype") == "/Form" and id(obj) not in seen:
                seen.add(id(obj))
                if walk(obj.get("/Resources"), seen):
                    return True
        return False

    return any(
        walk(page.get("/Resources"), set()) for page in pypdf.PdfReader(io.BytesIO(data)).pages
    )
