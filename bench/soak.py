"""`make soak`: mixed traffic against a real `stride serve` for 10 minutes (STRIDE_SOAK_SECONDS to change), then
requests, statuses, latency and the server's memory at start and end. Not a test and not part of `make bench`.

The mix, from STRIDE_SOAK_CLIENTS closed-loop clients (default 8): lesson pages and slides in both languages,
widget and exercise fragments with their query strings, exercise checks, POST /api/conv2d and /api/pool2d, LeNet-5
on drawn pixels, and a live session: a presenter moving through slides every 2 s and STRIDE_SOAK_FOLLOWERS event-
stream followers (default 20). Passes when nothing answers 5xx but 503 with Retry-After, and memory after warm-up
stays flat (end within 10 % + 64 MiB of the level after the first minute). STRIDE_SOAK_URL soaks a server that is
already running instead (its memory is then not measured).
"""

import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.lessons import load_catalog  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.web.widgets import EXERCISES, WIDGETS  # noqa: E402
from bench.hostile import _rss, _start  # noqa: E402


def traffic(catalog) -> list[tuple[float, str, str, bytes | None, str | None]]:
    """(weight, kind, path, body, content type) of every request the clients pick from."""
    mix = []
    for lang in ("en", "ru"):
        for lesson in catalog.ordered(lang):
            base = f"/{lang}/lessons/{lesson.slug}"
            mix.append((1.0, "page", base, None, None))
            mix.append((0.3, "slides", base + "/present", None, None))
            for block_id, block in lesson.blocks.items():
                if block.kind == "widget":
                    mix.append((0.6, "fragment", f"{base}/widgets/{block_id}", None, None))
                else:
                    mix.append((0.4, "exercise", f"{base}/exercises/{block_id}?seed={random.randrange(10**6)}",
                                None, None))
                    form = f"seed={random.randrange(10**6)}&answer=3".encode()
                    mix.append((0.3, "check", f"{base}/exercises/{block_id}/check", form,
                                "application/x-www-form-urlencoded"))
    mix.append((0.5, "page", "/", None, None))
    conv = {"input": [[random.randint(0, 9) for _ in range(12)] for _ in range(12)], "kernel": [[1, 0, -1]] * 3,
            "padding": 1}
    pool = {"input": [[random.random() for _ in range(16)] for _ in range(16)], "mode": "max", "size": 2}
    digit = [[1.0 if 12 <= c <= 15 and 6 <= r <= 22 else 0.0 for c in range(28)] for r in range(28)]
    mix.append((1.0, "conv", "/api/conv2d", json.dumps(conv).encode(), "application/json"))
    mix.append((1.0, "pool", "/api/pool2d", json.dumps(pool).encode(), "application/json"))
    mix.append((1.0, "lenet", "/api/models/lenet5/predict", json.dumps({"pixels": digit}).encode(), "application/json"))
    # Each kind's share of the requests, whatever the number of lessons: spread over that kind's entries.
    totals = Counter()
    for weight, kind, *_ in mix:
        totals[kind] += weight
    return [(SHARE[kind] * weight / totals[kind], kind, *rest) for weight, kind, *rest in mix]


SHARE = {"page": 0.22, "slides": 0.08, "fragment": 0.2, "exercise": 0.1, "check": 0.05, "conv": 0.12, "pool": 0.1,
         "lenet": 0.13}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.kinds: Counter = Counter()
        self.bad: list[str] = []
        self.latency: list[float] = []
        self.events = 0

    def add(self, kind: str, status: int, seconds: float, retry_after: str | None, path: str):
        with self.lock:
            self.statuses[status] += 1
            self.kinds[kind] += 1
            self.latency.append(seconds)
            if status >= 500 and not (status == 503 and retry_after) or status == 0:
                if len(self.bad) < 20:
                    self.bad.append(f"{status} {kind} {path}")


def call(base: str, path: str, body: bytes | None, kind: str | None, headers: dict | None = None,
         method: str | None = None) -> tuple[int, str | None]:
    request = urllib.request.Request(base + path, data=body, method=method,
                                     headers={**({"content-type": kind} if kind else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            return response.status, response.headers.get("retry-after")
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error.headers.get("retry-after")
    except OSError:
        return 0, None


def client(base: str, mix, weights, tally: Tally, stop: threading.Event, seed: int):
    rng = random.Random(seed)
    while not stop.is_set():
        _, kind, path, body, content_type = rng.choices(mix, weights)[0]
        start = time.perf_counter()
        status, retry_after = call(base, path, body, content_type)
        tally.add(kind, status, time.perf_counter() - start, retry_after, path)


def follower(base: str, code: str, tally: Tally, stop: threading.Event):
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"{base}/api/live/{code}/events", timeout=30) as stream:
                tally.add("follow", stream.status, 0.0, None, "events")
                for line in stream:
                    if line.startswith(b"event:"):
                        with tally.lock:
                            tally.events += 1
                    if stop.is_set():
                        return
        except OSError:
            time.sleep(0.5)


def presenter(base: str, code: str, key: str, lessons: list[str], tally: Tally, stop: threading.Event):
    slide = 0
    while not stop.wait(2.0):
        slide = slide % 12 + 1
        state = {"lesson": lessons[slide % len(lessons)], "lang": "en", "slide": slide, "query": ""}
        start = time.perf_counter()
        status, retry_after = call(base, f"/api/live/{code}/state", json.dumps(state).encode(), "application/json",
                                   {"authorization": f"Bearer {key}"}, "PUT")
        tally.add("presenter", status, time.perf_counter() - start, retry_after, "state")


def slope(samples: list[tuple[float, float]], after: float) -> float:
    """MiB per minute of the least-squares line through the (seconds, MiB) samples from `after` seconds on."""
    points = [(t, m) for t, m in samples if t >= after and m == m]
    if len(points) < 2:
        return float("nan")
    return statistics.linear_regression([t for t, _ in points], [m for _, m in points]).slope * 60


def main() -> int:
    seconds = float(os.environ.get("STRIDE_SOAK_SECONDS", 600))
    clients = int(os.environ.get("STRIDE_SOAK_CLIENTS", 8))
    followers = int(os.environ.get("STRIDE_SOAK_FOLLOWERS", 20))
    catalog = load_catalog(Settings().lessons_dir, WIDGETS, EXERCISES)
    external = os.environ.get("STRIDE_SOAK_URL")
    process, base = (None, external.rstrip("/")) if external else _start("cpu")
    rss = (lambda: _rss(process.pid) / 2**20) if process else (lambda: float("nan"))
    try:
        mix = traffic(catalog)
        weights = [item[0] for item in mix]
        tally, stop = Tally(), threading.Event()
        try:  # a live session, where the server has them
            created = json.loads(urllib.request.urlopen(urllib.request.Request(
                base + "/api/live", data=json.dumps({"lesson": "convolution", "lang": "en"}).encode(),
                headers={"content-type": "application/json"}), timeout=30).read())
            live = (created["code"], created["presenter_key"])
        except (OSError, ValueError, KeyError):
            live = None
        rss_start = rss()
        threads = [threading.Thread(target=client, args=(base, mix, weights, tally, stop, i)) for i in range(clients)]
        if live:
            threads += [threading.Thread(target=follower, args=(base, live[0], tally, stop), daemon=True)
                        for _ in range(followers)]
            threads.append(threading.Thread(target=presenter, args=(base, *live, [l.slug for l in catalog.ordered("en")],
                                                                   tally, stop)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        samples = []
        while time.monotonic() - started < seconds:
            time.sleep(min(10.0, max(0.1, seconds - (time.monotonic() - started))))
            samples.append((time.monotonic() - started, rss()))
            print(f"  {samples[-1][0]:6.0f} s  {sum(tally.statuses.values()):7d} requests  RSS {samples[-1][1]:7.0f} MiB",
                  flush=True)
        stop.set()
        for thread in threads:
            if not thread.daemon:
                thread.join()
        warm = next((m for t, m in samples if t >= min(60.0, seconds / 5)), rss_start)
        rss_end = samples[-1][1] if samples else rss()
    finally:
        if process:
            process.terminate()
            process.wait(20)
    total = sum(tally.statuses.values())
    latency = sorted(tally.latency) or [0.0]
    print(f"Soak: {seconds:.0f} s, {clients} clients, {followers if live else 0} live followers "
          f"({tally.events} events received)")
    print(f"requests {total} ({total / seconds:.1f}/s); by kind: {dict(tally.kinds)}")
    print(f"statuses: {dict(sorted(tally.statuses.items()))}")
    print(f"latency p50 {statistics.median(latency) * 1000:.0f} ms, p99 {latency[int(0.99 * (len(latency) - 1))] * 1000:.0f} ms")
    print(f"RSS start {rss_start:.0f} MiB, after warm-up {warm:.0f} MiB, end {rss_end:.0f} MiB; "
          f"slope after warm-up {slope(samples, min(60.0, seconds / 5)):+.1f} MiB/min (least squares)")
    errors = tally.bad
    flat = rss_end != rss_end or rss_end <= warm * 1.10 + 64
    print("5xx other than 503 with Retry-After (or no answer):", errors or "none")
    print("memory flat after warm-up:", "yes" if flat else "NO")
    return 0 if not errors and flat else 1


if __name__ == "__main__":
    sys.exit(main())
