"""Detection widgets laid out for a slide (issue 8 A): RoI pooling / anchors and the AP builder show one part at a
time beside their photo (present.js PAGED), the parts are named in the lesson's language, each part fits the
1280×720 slide, and a control that redraws the widget keeps the part the presenter was showing."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot, slide_number

FITS = "(s) => s.scrollHeight <= s.clientHeight + 1 && s.scrollWidth <= s.clientWidth + 1"


def open_slide(page, server, lang, selector):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/{lang}/lessons/detection/present")
    number = slide_number(page, selector)
    page.goto(f"{server}/{lang}/lessons/detection/present#{number}")
    slide = page.locator(".slide.is-current")
    expect(slide.locator(selector)).to_be_visible()
    return slide


def pressed(pager, name):
    return pager.get_by_role("button", name=name)


@pytest.mark.parametrize("lang, parts", [("en", ("RoI pooling", "Anchors")), ("ru", ("RoI pooling", "Якоря"))])
def test_roi_anchors_one_part_at_a_time(page, server, lang, parts):
    slide = open_slide(page, server, lang, "#w-roi")
    widget = slide.locator("#w-roi")
    pager = widget.locator(".deck-pager")
    expect(pager.locator("button")).to_have_text(list(parts))
    expect(pressed(pager, parts[0])).to_have_attribute("aria-pressed", "true")
    expect(widget.locator("[data-roi-pooled]")).to_be_visible()
    expect(widget.locator("[data-anchors]")).to_be_hidden()
    assert slide.evaluate(FITS)

    pressed(pager, parts[1]).click()
    expect(widget.locator("[data-anchors]")).to_be_visible()
    expect(widget.locator("[data-roi-pooled]")).to_be_hidden()
    expect(widget.locator("[data-anchors] tbody tr")).to_have_count(9)
    assert slide.evaluate(FITS)

    # Another anchor position redraws the widget (htmx swaps it whole); the anchors stay on screen.
    row = widget.locator('input[name="roi.row"]')
    row.fill("10")
    row.press("Enter")
    expect(slide.locator("#w-roi [data-anchors] caption")).to_contain_text("(10, 17)")  # the middle column, from 1
    expect(slide.locator("#w-roi [data-anchors]")).to_be_visible()
    expect(slide.locator("#w-roi [data-roi-pooled]")).to_be_hidden()
    expect(pressed(slide.locator("#w-roi .deck-pager"), parts[1])).to_have_attribute("aria-pressed", "true")

    # The 7×7 grid Fast R-CNN uses fits beside the photo as well.
    pressed(slide.locator("#w-roi .deck-pager"), parts[0]).click()
    grid = slide.locator('#w-roi input[name="roi.output"]')
    grid.fill("7")
    grid.press("Enter")
    expect(slide.locator("#w-roi [data-roi-pooled] tbody tr")).to_have_count(7)
    expect(slide.locator("#w-roi [data-roi-pooled]")).to_be_visible()
    assert slide.evaluate(FITS)
    shoot(page, f"detection-{lang}-present-roi-7x7", full_page=False)


@pytest.mark.parametrize("lang, parts", [("en", ("Precision–recall curve", "Detections in order")),
                                         ("ru", ("Кривая точность–полнота", "Детекции по порядку"))])
def test_ap_builder_curve_or_table(page, server, lang, parts):
    slide = open_slide(page, server, lang, "#w-ap")
    widget = slide.locator("#w-ap")
    pager = widget.locator(".deck-pager")
    expect(pager.locator("button")).to_have_text(list(parts))
    expect(widget.locator(".ld-chart-box .main-svg").first).to_be_visible()
    expect(widget.locator("[data-ap-table]")).to_be_hidden()
    assert slide.evaluate(FITS)

    pressed(pager, parts[1]).click()
    expect(widget.locator("[data-ap-table]")).to_be_visible()
    expect(widget.locator(".ld-chart-box")).to_be_hidden()
    assert slide.evaluate(FITS)

    # Counting every detection redraws the widget; the table stays, every row now counted.
    widget.locator("[data-k-all]").click()
    table = slide.locator("#w-ap [data-ap-table]")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr.is-later")).to_have_count(0)
    expect(table.locator("tbody tr").first).to_have_class(re.compile("is-(tp|fp)"))
    expect(slide.locator("#w-ap .ld-chart-box")).to_be_hidden()
    assert slide.evaluate(FITS)
    shoot(page, f"detection-{lang}-present-ap-table", full_page=False)
