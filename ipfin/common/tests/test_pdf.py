"""The PDFs' fonts (ipfin.common.pdf): every glyph the reports and notices print is in the font,
and a PDF made with it embeds every font it uses — read back with pypdf. The checker itself is
shown to fail on what it must catch: ReportLab's built-in CID font (named, not embedded) and a
canvas left on its default Helvetica."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from ipfin.common.pdf import DOC_KWARGS, FONT, FONT_BOLD, font_files, register_fonts
from ipfin.common.tests.pdf_fonts import assert_fonts_embedded, pdf_fonts, pdf_text

# What the valuation report and the notices print beyond letters: signs, fractions, comparisons,
# per mille, Chinese punctuation and book-title marks, digits, the yuan sign.
GLYPHS = "−½≤≥×÷%‰、，。：；（）《》“”—·¥0123456789评估报告书专利权质押登记通知不予"


def _sample(text: str) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, **DOC_KWARGS)
    style = ParagraphStyle("t", fontName=FONT, bulletFontName=FONT)
    doc.build([Paragraph(f"{text} <b>{text}</b>", style)])
    return buffer.getvalue()


@pytest.mark.parametrize("name", [FONT, FONT_BOLD])
def test_every_glyph_the_documents_print_is_in_the_font(name):
    register_fonts()
    face = pdfmetrics.getFont(name).face
    missing = [ch for ch in GLYPHS if ord(ch) not in face.charToGlyph]
    assert missing == []


def test_the_instances_are_static_truetype_files_of_their_own_names():
    files = font_files()
    assert set(files) == {FONT, FONT_BOLD}
    register_fonts()
    names = {pdfmetrics.getFont(n).face.name for n in files}
    assert names == {b"NotoSansSC-Regular", b"NotoSansSC-Bold"}
    for path in files.values():
        assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"  # TrueType outlines (glyf), not CFF


def test_a_pdf_in_the_font_embeds_both_weights_and_reads_back():
    data = _sample(GLYPHS)
    fonts = assert_fonts_embedded(data)
    assert {f.base_font.split("+")[-1] for f in fonts} == {
        "NotoSansSC-Regular",
        "NotoSansSC-Bold",
    }
    assert all(f.subtype == "/TrueType" for f in fonts)
    assert "−½≤≥×÷" in pdf_text(data)
    assert "《》" in pdf_text(data)


def test_the_checker_catches_a_named_cid_font():
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, **DOC_KWARGS)
    canvas.setFont("STSong-Light", 12)
    canvas.drawString(72, 700, "评估报告")
    canvas.save()
    assert [f.embedded for f in pdf_fonts(buffer.getvalue()) if "STSong" in f.base_font] == [False]
    with pytest.raises(AssertionError, match="not embedded"):
        assert_fonts_embedded(buffer.getvalue())


def test_the_checker_catches_the_default_helvetica():
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer)  # no initialFontName: the page preamble names Helvetica
    canvas.setFont(FONT, 12)
    canvas.drawString(72, 700, "评估报告")
    canvas.save()
    with pytest.raises(AssertionError):
        assert_fonts_embedded(buffer.getvalue())


def test_the_sample_contract_embeds_its_fonts():
    from ipfin.pledges.samples import contract_pdf

    data = contract_pdf("HT-2026-001")
    assert_fonts_embedded(data)
    assert "HT-2026-001" in pdf_text(data)
    assert contract_pdf("HT-2026-001") == data  # still reproducible, byte for byte
