"""A live session in the browser: one presenter, two students. The presenter moves on and edits a widget,
the students follow (one reading the page, one watching slides); a student checks an answer and the
count in the presenter's speaker window moves."""

import re

import pytest

from playwright.sync_api import expect

from app.web.widgets import EXERCISES
from app.web.widgets.registry import make_question
from tests.browser.conftest import Watch, shoot
from tests.web.test_exercises import right_answer

@pytest.fixture
def open_page(browser, server):
    """Opens a page (in a new browser context unless given one) watched for problems; all are checked at the end."""
    contexts, watches = [], []

    def open_(url, size=(1280, 800), context=None):
        if context is None:
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            contexts.append(context)
        page = context.new_page()
        watch = Watch(server)
        watch.attach(page)
        watches.append(watch)
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    problems = [problem for watch in watches for problem in watch.problems]
    assert problems == [], "\n".join(problems)


def slide_with(page, selector) -> int:
    """The number (from 1) of the slide that holds `selector`."""
    return page.evaluate("(sel) => Array.from(document.querySelectorAll('.slide'))"
                         ".indexOf(document.querySelector(sel).closest('.slide')) + 1", selector)


def test_presenter_drives_two_students_and_sees_their_answers(open_page, server):
    presenter = open_page(f"{server}/en/lessons/convolution/present", (1280, 720))
    presenter.get_by_role("button", name="Start live session").click()
    panel = presenter.locator("#live-panel-deck")
    expect(panel).to_be_visible()
    code = panel.locator("[data-live-code]").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    expect(panel.locator("[data-live-url]")).to_have_text(f"{server}/live/{code}")
    expect(panel.locator("img[data-live-qr]")).to_have_js_property("complete", True)
    assert panel.locator("img[data-live-qr]").evaluate("img => img.naturalWidth") > 100
    shoot(presenter, "live-presenter-join-1280x720", full_page=False)
    key = presenter.evaluate("JSON.parse(localStorage.getItem('stride.live.v1')).key")

    reader = open_page(f"{server}/live/{code}")
    viewer = open_page(f"{server}/live/{code.lower()}?lang=ru")
    viewer.get_by_label("Слайды").check()
    for student in (reader, viewer):
        assert key not in student.content()
    expect(reader.locator("[data-live-status]")).to_have_text(re.compile(r"Following: .*slide 1$"))
    expect(viewer.locator("[data-live-status]")).to_have_text(re.compile(r"слайд 1$"))

    # The presenter hides the panel and moves on three slides with the keyboard.
    presenter.get_by_role("button", name="Hide").click()
    expect(panel).to_be_hidden()
    for _ in range(3):
        presenter.keyboard.press("ArrowRight")
    expect(reader.locator("[data-live-status]")).to_have_text(re.compile(r"slide 4$"))
    section = presenter.locator(".slide.is-current").get_attribute("data-section")
    reader_frame = reader.frame_locator("[data-live-frame]")
    viewer_frame = viewer.frame_locator("[data-live-frame]")
    expect(viewer_frame.locator(".slide.is-current")).to_have_attribute("data-section", section)
    top = reader.locator("[data-live-frame]").evaluate(
        "(f, id) => f.contentDocument.getElementById(id).getBoundingClientRect().top", section)
    assert -2 <= top <= 40, top

    # The presenter goes to the conv2d widget and changes its stride: the students' widgets follow.
    number = slide_with(presenter, "#w-numbers")
    presenter.goto(f"{server}/en/lessons/convolution/present#{number}")
    expect(presenter.locator(".slide.is-current #w-numbers")).to_be_visible()
    stride = presenter.locator('.slide.is-current [name="numbers.stride"]')
    if stride.evaluate("el => el.tagName") == "SELECT":
        stride.select_option("2")
    else:
        stride.fill("2")
        stride.dispatch_event("change")
    expect(presenter).to_have_url(re.compile(r"numbers\.stride=2"))
    for frame in (reader_frame, viewer_frame):
        expect(frame.locator('#w-numbers [name="numbers.stride"]')).to_have_value("2")
    expect(viewer_frame.locator(".slide.is-current #w-numbers")).to_be_visible()
    expect(reader.locator("[data-live-status]")).to_have_text(re.compile(rf"slide {number}$"))
    shoot(viewer, "live-student-slides-ru", full_page=False)

    # The "Follow" switch: exploring, the student stays put; switched back on, they catch up.
    reader.get_by_label("Follow the instructor").uncheck()
    expect(reader.locator("[data-live-status]")).to_have_text(re.compile("exploring on your own"))
    presenter.keyboard.press("ArrowRight")
    expect(viewer.locator("[data-live-status]")).to_have_text(re.compile(rf"слайд {number + 1}$"))
    reader.get_by_label("Follow the instructor").check()
    expect(reader.locator("[data-live-status]")).to_have_text(re.compile(rf"slide {number + 1}$"))

    # The speaker window shows two followers; a student's checked answer moves the count.
    speaker = open_page(f"{server}/en/lessons/convolution/speaker#{number + 1}", context=presenter.context)
    expect(speaker.locator("[data-live-followers]")).to_have_text("2")
    expect(speaker.locator("[data-live-answers]")).to_have_text("No answers checked yet.")
    exercise = reader_frame.locator("#x-cell")
    seed = int(exercise.get_attribute("data-seed"))
    question = make_question(EXERCISES["conv-cell"], seed, "en", {})
    exercise.locator('input[name="answer"]').fill(right_answer(question))
    exercise.get_by_role("button", name="Check").click()
    expect(exercise.locator(".feedback.correct")).to_be_visible()
    expect(speaker.locator("[data-live-answers]")).to_have_text("convolution · cell: 1 answered, 1 correct")
    shoot(speaker, "live-speaker-en", full_page=False)
    shoot(reader, "live-student-page-en", full_page=False)

    # Ending the session tells the students.
    speaker.get_by_role("button", name="End session").click()
    expect(reader.locator("[data-live-status]")).to_have_text("The live session has ended.")
    expect(viewer.locator("[data-live-status]")).to_have_text("Трансляция завершена.")
    expect(presenter.get_by_role("button", name="Start live session")).to_be_visible()


def test_a_session_started_in_the_speaker_window_shows_on_the_slides(open_page, server):
    deck = open_page(f"{server}/ru/lessons/pooling/present", (1280, 720))
    speaker = open_page(f"{server}/ru/lessons/pooling/speaker", context=deck.context)
    speaker.get_by_role("button", name="Начать трансляцию").click()
    code = speaker.locator("[data-live-code]")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"))
    expect(speaker.locator("[data-live-followers]")).to_have_text("0")
    # The slides learn of it through localStorage and show the join panel with the same code.
    expect(deck.locator("#live-panel-deck [data-live-code]")).to_have_text(code.inner_text())
    expect(deck.get_by_role("button", name=f"Трансляция: {code.inner_text()}")).to_be_visible()
    deck.keyboard.press("Escape")
    expect(deck.locator("#live-panel-deck")).to_be_hidden()
    student = open_page(f"{server}/live/{code.inner_text()}")
    deck.keyboard.press("ArrowRight")
    expect(student.locator("[data-live-status]")).to_have_text(re.compile(r"slide 2$"))
    expect(speaker.locator("[data-live-followers]")).to_have_text("1")
    deck.get_by_role("button", name=re.compile("^Трансляция: ")).click()
    deck.get_by_role("button", name="Завершить трансляцию").click()
    expect(student.locator("[data-live-status]")).to_have_text("The live session has ended.")
    expect(speaker.get_by_role("button", name="Начать трансляцию")).to_be_visible()
