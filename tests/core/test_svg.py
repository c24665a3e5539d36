"""Charts keep long labels whole (issue 11 item 4: "long labels are not clipped")."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from core import svg

NS = "{http://www.w3.org/2000/svg}"
LONG = "Pengurusan Surat Keterangan Catatan Kepolisian (SKCK) Baru dan Perpanjangan"


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def test_a_long_label_wraps_inside_the_label_column_and_keeps_every_word():
    root = parse(svg.bar_chart([(LONG, 12), ("KTP", 3)], "Antrean"))
    spans = [t.text for t in root.iter(f"{NS}tspan")]
    assert " ".join(spans[:-1]) == LONG and spans[-1] == "KTP"
    assert all(len(s) <= svg.LABEL_CHARS for s in spans)
    # every line is right-aligned at the same x, inside the picture
    xs = {float(t.get("x")) for t in root.iter(f"{NS}tspan")}
    assert len(xs) == 1 and 0 < xs.pop() < 640
    # the row grew: the wrapped lines do not overlap the next row's label
    ys = [float(t.get("y")) for t in root.iter(f"{NS}tspan")]
    assert ys == sorted(ys) and min(b - a for a, b in zip(ys, ys[1:], strict=False)) >= 16
    height = float(root.get("viewBox").split()[3])
    assert max(ys) < height


def test_past_three_lines_the_label_is_cut_with_an_ellipsis_and_kept_whole_in_its_tooltip():
    label = " ".join([LONG] * 3)
    root = parse(svg.bar_chart([(label, 1)], "t"))
    spans = [t.text for t in root.iter(f"{NS}tspan")]
    assert len(spans) == svg.LABEL_LINES and spans[-1].endswith("\u2026")
    assert [t.text for t in root.iter(f"{NS}title")][-1] == label


def test_labels_and_titles_are_escaped():
    text = svg.bar_chart([("<b>&", 1)], 'x"y')
    assert "<b>" not in text and "&lt;b&gt;&amp;" in text
    parse(text)  # well-formed
