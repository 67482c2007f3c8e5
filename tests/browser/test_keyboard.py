"""Every lesson has a widget a student can use with the keyboard alone: Tab reaches it from the text just before
it (in order, with a visible focus ring), and keys do what a mouse would — arrows step sliders and number fields,
Enter/Space press buttons and grid cells, arrows move and (with Shift) resize the IoU boxes, the LeNet canvas is
drawn with a keyboard pen. Reduced motion: nothing plays by itself, Play still works."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Watch

# Put the focus just before the widget, as if the student had read up to it.
FOCUS_BEFORE = """(widget) => {
  const anchor = document.createElement('span');
  anchor.tabIndex = -1;
  anchor.id = 'kb-anchor';
  widget.before(anchor);
  anchor.focus();
}"""

# The focused element: inside which widget, how it is drawn (a visible ring: an outline or a box shadow).
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  let ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none';
  if (!ring && e instanceof SVGElement) {
    // An SVG box shows focus by drawing its outline in the focus colour.
    const probe = document.createElement('span');
    probe.style.color = 'var(--focus)';
    document.body.appendChild(probe);
    const focus = getComputedStyle(probe).color;
    probe.remove();
    ring = Array.from(e.querySelectorAll('*')).some((c) => getComputedStyle(c).stroke === focus);
  }
  const widget = e.closest('.widget');
  return {tag: e.tagName.toLowerCase(), widget: widget ? widget.id : null, ring,
          target: e.matches(window.__kbTarget || '*')};
}"""


def tab_to(page, widget, target: str, most: int = 30):
    """Tab from just before `widget` until the focus is on `target` inside it; every stop on the way is inside
    the widget and shows a focus ring. Returns the number of Tab presses."""
    widget_id = widget.get_attribute("id")
    widget.evaluate(FOCUS_BEFORE)
    page.evaluate("(t) => { window.__kbTarget = t; }", f"#{widget_id} {target}")
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["widget"] == widget_id, f"Tab {presses} left the widget #{widget_id}: {focused}"
        assert focused["ring"], f"no visible focus on {focused['tag']} in #{widget_id} (Tab {presses})"
        if focused["target"]:
            return presses
    raise AssertionError(f"{target} in #{widget_id} not reached in {most} Tab presses")


def widget_of(page, name: str):
    return page.locator(f".widget-{name}[data-widget]").first


def rerendered(page, widget, keys: list[str]):
    """Press `keys` on the focused control and wait until htmx has swapped the widget in again."""
    widget_id = widget.get_attribute("id")
    page.evaluate("(id) => { document.getElementById(id).dataset.kbOld = '1'; }", widget_id)
    for key in keys:
        page.keyboard.press(key)
    expect(page.locator(f"#{widget_id}[data-kb-old]")).to_have_count(0)
    expect(page.locator(f"#{widget_id}[data-widget]")).to_have_count(1)


# Lessons whose keyboard widget is a form control that re-renders the widget: (slug, widget, control, keys).
FORM_CONTROLS = [
    ("why-cnn", "imagenet-errors", "select", ["ArrowDown"]),
    ("conv-layer", "conv-layer-pipeline", "input[type=number]", ["ArrowUp"]),
    ("padding-stride", "size-explorer", "input[type=number]", ["ArrowUp"]),
    ("feature-hierarchy", "feature-depth", "select", ["ArrowDown"]),
    ("alexnet", "alexnet-relu", "input[type=number]", ["ArrowUp"]),
    ("vgg", "vgg-stack", "input[type=number]", ["ArrowUp"]),
    ("resnet", "resnet-depth", "select", ["ArrowDown"]),
    ("cv-tasks", "cv-tasks-table", "input[type=number]", ["ArrowUp"]),
    ("detection", "ap-builder", "input[type=range]", ["ArrowRight"]),
    ("datasets", "datasets-compare", "select", ["ArrowDown"]),
]


@pytest.fixture
def kb_page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(server)
    watch.attach(page)
    yield page
    context.close()
    assert watch.problems == [], "\n".join(watch.problems)


@pytest.mark.parametrize("slug, name, control, keys", FORM_CONTROLS, ids=[case[0] for case in FORM_CONTROLS])
def test_form_control_by_keyboard(kb_page, server, slug, name, control, keys):
    kb_page.goto(f"{server}/en/lessons/{slug}")
    widget = widget_of(kb_page, name)
    tab_to(kb_page, widget, control)
    before = kb_page.evaluate("() => document.activeElement.value")
    rerendered(kb_page, widget, keys)
    field = kb_page.locator(f"#{widget.get_attribute('id')} {control}").first
    assert field.input_value() != before, f"{keys} did not change {control} of {name}"


def test_fc_conv_player_steps_and_announces_once(kb_page, server):
    kb_page.goto(f"{server}/ru/lessons/fully-connected-vs-conv")
    widget = widget_of(kb_page, "fc-conv-connectivity")
    tab_to(kb_page, widget, "[data-step='1']")
    kb_page.keyboard.press("Enter")
    announce = widget.locator("[data-announce]")
    expect(announce).to_have_text(re.compile(r"^Шаг 2 из \d+"))
    kb_page.keyboard.press("Space")
    expect(announce).to_have_text(re.compile(r"^Шаг 3 из \d+"))
    # The step's own text is no live region of its own: one announcement per step.
    assert widget.locator("[data-detail][aria-live], [data-detail] [aria-live]").count() == 0


def test_conv2d_output_cell_by_keyboard(kb_page, server):
    kb_page.goto(f"{server}/en/lessons/convolution")
    widget = widget_of(kb_page, "conv2d")
    cells = widget.locator("[data-grid=output] button")
    # The player starts on the first cell: it is computed, the next one not yet.
    expect(cells.first).to_have_attribute("aria-label", re.compile(r"^output row 1, column 1: -?\d+, from \d+ products$"))
    expect(cells.nth(1)).to_have_attribute("aria-label", re.compile(r"^output row 1, column 2: not computed yet"))
    tab_to(kb_page, widget, "[data-grid=output] button")
    kb_page.keyboard.press("Tab")
    kb_page.keyboard.press("Enter")  # row 1, column 2
    expect(widget.locator("[data-detail]")).to_contain_text("=")
    expect(cells.nth(1)).to_have_attribute("aria-label", re.compile(r"^output row 1, column 2: -?\d+, from \d+ products$"))
    expect(widget.locator("[data-announce]")).to_contain_text("Step 2 of")
    kb_page.keyboard.press("Tab")
    kb_page.keyboard.press("Space")  # row 1, column 3
    expect(widget.locator("[data-announce]")).to_contain_text("Step 3 of")


def test_pool_scrubber_by_arrow_keys(kb_page, server):
    kb_page.goto(f"{server}/ru/lessons/pooling")
    widget = widget_of(kb_page, "pool-steps")
    tab_to(kb_page, widget, "[data-scrub]")
    kb_page.keyboard.press("ArrowRight")
    kb_page.keyboard.press("ArrowRight")
    expect(widget.locator("[data-position]")).to_have_text(re.compile(r"^3 / \d+"))
    expect(widget.locator("[data-announce]")).to_have_text(re.compile(r"^Шаг 3 из \d+"))
    expect(widget.locator("[data-grid=output] button").nth(2)).to_have_attribute(
        "aria-label", re.compile(r"^выход, строка \d+, столбец \d+: -?[\d,]+ \(значений в окне: \d+\)$"))


def test_lenet_canvas_by_sample_buttons_and_keyboard_pen(kb_page, server):
    kb_page.goto(f"{server}/en/lessons/lenet")
    widget = widget_of(kb_page, "lenet-draw")
    tab_to(kb_page, widget, "[data-canvas]")
    drawing = widget.locator("[data-field=drawing]")
    before = drawing.input_value()
    kb_page.keyboard.press("Space")
    for key in ["ArrowDown"] * 6 + ["ArrowRight"] * 2:
        kb_page.keyboard.press(key)
    expect(widget.locator("[data-pen]")).to_have_class(re.compile("is-down"))
    kb_page.keyboard.press("Space")  # lifts the pen: the drawing goes to the server
    expect(drawing).not_to_have_value(before)
    # The server read the drawing: the results say what it predicts.
    expect(widget.locator("[data-results] [data-state=ready]")).to_have_count(1)
    kb_page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(widget.locator("[data-announce]")).not_to_be_empty()
    kb_page.keyboard.press("Tab")
    kb_page.keyboard.press("Tab")
    kb_page.keyboard.press("Tab")
    kb_page.keyboard.press("Tab")  # the sample digit 3 (samples start at 0)
    kb_page.keyboard.press("Enter")
    expect(widget.locator("[data-sample='3']")).to_have_attribute("aria-pressed", "true")


def test_iou_boxes_move_and_resize_by_arrow_keys(kb_page, server):
    kb_page.goto(f"{server}/en/lessons/localization")
    widget = widget_of(kb_page, "iou-playground")
    tab_to(kb_page, widget, "[data-editable] [tabindex='0']")
    coords = widget.locator('[data-coords="a"]')
    start = [int(v) for v in re.findall(r"-?\d+", coords.inner_text())]
    kb_page.keyboard.press("ArrowRight")
    moved = [int(v) for v in re.findall(r"-?\d+", coords.inner_text())]
    assert moved[0] > start[0] and moved[2] > start[2] and moved[2] - moved[0] == start[2] - start[0]
    kb_page.keyboard.press("Shift+ArrowRight")
    resized = [int(v) for v in re.findall(r"-?\d+", coords.inner_text())]
    assert resized[0] == moved[0] and resized[2] > moved[2]
    expect(widget.locator("[data-server-check]")).to_have_attribute("data-agrees", "1")


def test_segmentation_cells_by_keyboard(kb_page, server):
    kb_page.goto(f"{server}/en/lessons/segmentation")
    widget = widget_of(kb_page, "seg-iou")
    tab_to(kb_page, widget, "button.cell")
    label = kb_page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert re.match(r"^.*1.*1", label), label
    kb_page.keyboard.press("ArrowRight")
    second = kb_page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert second != label
    old = widget.locator("[data-pred]").input_value()
    kb_page.keyboard.press("Enter")
    expect(kb_page.locator(".widget-seg-iou [data-pred]").first).not_to_have_value(old)


def test_reduced_motion_nothing_plays_by_itself_play_works(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{server}/en/lessons/convolution")
        widget = widget_of(page, "conv2d")
        position = widget.locator("[data-position]")
        expect(position).to_have_text(re.compile(r"^1 / "))
        page.wait_for_timeout(2500)
        expect(position).to_have_text(re.compile(r"^1 / "))
        assert page.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
        widget.locator("[data-play]").focus()
        page.keyboard.press("Enter")
        expect(position).to_have_text(re.compile(r"^2 / "), timeout=5000)
        page.keyboard.press("Enter")  # pause: the player says where it stopped
        expect(widget.locator("[data-announce]")).to_contain_text("Step")
    finally:
        context.close()
