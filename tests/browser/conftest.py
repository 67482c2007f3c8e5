"""Browser tests: a real server in a subprocess on a free port, driven by Debian's Chromium via Playwright.

Every page a test opens fails the test on a console error, a failed request, an HTTP error the test
didn't expect, or any request to another host. Screenshots go to test-artifacts/screenshots/.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("STRIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = pytest.mark.browser

# A 2-core CI machine running a server, Chromium and torch at once can be slow to answer.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(**env_overrides) -> tuple[subprocess.Popen, str]:
    """A Stride server on a free loopback port (STRIDE_* settings from env_overrides); returns it once it answers."""
    port = _free_port()
    env = {**os.environ, "STRIDE_DEVICE": "cpu", **{k: str(v) for k, v in env_overrides.items()}}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the Stride server did not start")
            time.sleep(0.3)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def server():
    process, base = start_server()
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: run `make test` as root, or install Debian's chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watch:
    """Problems seen on a page: console errors, failed requests, HTTP errors, other hosts."""

    def __init__(self, base: str):
        self.host = urlparse(base).netloc
        self.problems: list[str] = []
        self.allowed_statuses: set[int] = set()

    def attach(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message):
        # The browser logs every 4xx/5xx response as an error; one the test expects is not a problem.
        allowed = re.match(r"Failed to load resource: the server responded with a status of (\d+)", message.text)
        if message.type == "error" and not (allowed and int(allowed.group(1)) in self.allowed_statuses):
            self.problems.append(f"console: {message.text}")

    def _failed(self, request):
        # ERR_ABORTED is the browser cancelling a request because the test navigated away (a favicon
        # still loading, say); the server's own failures show up as HTTP statuses in _response.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} {request.failure}")

    def _request(self, request):
        url = urlparse(request.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.netloc != self.host:
            self.problems.append(f"other host: {request.url}")

    def _response(self, response):
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.problems.append(f"HTTP {response.status}: {response.url}")


@pytest.fixture
def watch(server):
    return Watch(server)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(context, watch):
    page = context.new_page()
    watch.attach(page)
    yield page
    assert watch.problems == [], "\n".join(watch.problems)


def shoot(page, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# Elements sticking out past the right edge of the screen, except inside boxes that scroll sideways.
WIDER_THAN_SCREEN = """() => {
  const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  return Array.from(document.querySelectorAll('body *'))
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !scrolls(e))
    .slice(0, 8).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`);
}"""


def change(locator, value):
    """Type a value into a widget control and fire the change event its form listens to."""
    locator.fill(str(value))
    locator.dispatch_event("change")


def slide_number(page, selector):
    """The 1-based number of the slide that contains `selector`."""
    slide = page.locator(f".slide:has({selector})")
    return page.locator(".slide").evaluate_all("(s, target) => s.indexOf(target)", slide.element_handle()) + 1


def reveal_deferred(page):
    """Scroll every deferred widget (one that runs a network) into view, as a reader would, and wait until htmx
    has swapped each one in; then back to the top."""
    placeholders = page.locator("[data-deferred]")
    for _ in range(placeholders.count()):
        first = placeholders.first
        block = first.get_attribute("id")
        first.scroll_into_view_if_needed()
        expect(page.locator(f"#{block}[data-deferred]")).to_have_count(0, timeout=30_000)
    page.evaluate("window.scrollTo(0, 0)")
