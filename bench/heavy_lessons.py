"""A class opening the heavy lessons at once: `python -m bench.heavy_lessons [--visits 50] [lesson ...]`.

For each lesson a fresh server (a `stride` subprocess on a free port, CPU) gets `--visits` simultaneous
first visits: each visit fetches the page, then every fragment the page defers (`data-deferred`,
loaded by htmx when it is revealed), as a browser scrolling down would. Recorded per visit: the
page's status and latency, each fragment's status, latency and Retry-After. Meanwhile the server's
resident memory (VmRSS from /proc) is sampled every 50 ms; a run whose memory rises more than
`--rss-abort` GiB above the start is stopped (the server is killed) and reported as such, so the
benchmark cannot take the machine down.

Goal (issue 11): every page within 15 s, every fragment answered within 15 s, or with 503 and
Retry-After within 2 s; memory never more than 1.5 GiB above the start.
"""

import argparse
import html
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ("vgg", "resnet", "feature-hierarchy")
PAGE_GOAL_S, BUSY_GOAL_S, RSS_GOAL_GIB = 15.0, 2.0, 1.5
_DEFERRED = re.compile(r"<[^>]*\bdata-deferred\b[^>]*>")
_HX_GET = re.compile(r'\bhx-get="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Server:
    """`stride serve` in a subprocess, CPU only, until stopped."""

    def __init__(self, env: dict | None = None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "STRIDE_DEVICE": "cpu", **(env or {})},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not answer /healthz within 120 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _get(client: httpx.Client, url: str) -> dict:
    started = time.monotonic()
    try:
        response = client.get(url, headers={"accept": "text/html"})
        status, text, retry = response.status_code, response.text, response.headers.get("retry-after")
    except httpx.HTTPError as exc:
        status, text, retry = 0, type(exc).__name__, None
    return {"url": url, "status": status, "seconds": time.monotonic() - started, "retry_after": retry, "text": text}


def _visit(base: str, lesson: str, barrier: threading.Barrier, out: list):
    with httpx.Client(base_url=base, timeout=180) as client:
        barrier.wait()
        page = _get(client, f"/en/lessons/{lesson}")
        urls = [html.unescape(m.group(1)) for tag in _DEFERRED.findall(page["text"]) if (m := _HX_GET.search(tag))]
        fragments = [_get(client, url) for url in urls] if page["status"] == 200 else []
    for item in (page, *fragments):
        item.pop("text")
    out.append({"page": page, "fragments": fragments})


def _ok(item: dict) -> bool:
    if item["status"] == 200:
        return item["seconds"] <= PAGE_GOAL_S
    return item["status"] == 503 and item["retry_after"] is not None and item["seconds"] <= BUSY_GOAL_S


def run_lesson(lesson: str, visits: int, rss_abort_gib: float) -> dict:
    server = Server()
    pid = server.process.pid
    start_rss = _rss_bytes(pid)
    peak = [start_rss]
    aborted = threading.Event()
    done = threading.Event()

    def sample():
        while not done.is_set():
            rss = _rss_bytes(pid)
            peak[0] = max(peak[0], rss)
            if rss - start_rss > rss_abort_gib * 2**30:
                aborted.set()
                server.stop()
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    barrier = threading.Barrier(visits)
    results: list[dict] = []
    threads = [threading.Thread(target=_visit, args=(server.base, lesson, barrier, results)) for _ in range(visits)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    server.stop()
    return {"lesson": lesson, "visits": visits, "wall": wall, "start_rss": start_rss, "peak_rss": peak[0],
            "aborted": aborted.is_set(), "results": results}


def run(visits: int = 50, lessons=LESSONS, rss_abort_gib: float = 6.0) -> list[dict]:
    return [run_lesson(lesson, visits, rss_abort_gib) for lesson in lessons]


def _summary(items: list[dict]) -> str:
    if not items:
        return "-"
    statuses: dict[int, int] = {}
    for item in items:
        statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    seconds = [item["seconds"] for item in items]
    busy = [item["seconds"] for item in items if item["status"] == 503]
    text = (" ".join(f"{status}×{count}" for status, count in sorted(statuses.items()))
            + f", median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s")
    if busy:
        text += f", slowest 503 {max(busy):.2f} s"
    return text


def report(runs: list[dict]) -> str:
    lines = [f"Simultaneous first visits on a fresh CPU server (goal: page ≤ {PAGE_GOAL_S:.0f} s or 503 + "
             f"Retry-After ≤ {BUSY_GOAL_S:.0f} s; memory ≤ +{RSS_GOAL_GIB} GiB)"]
    for r in runs:
        pages = [v["page"] for v in r["results"]]
        fragments = [f for v in r["results"] for f in v["fragments"]]
        rise = (r["peak_rss"] - r["start_rss"]) / 2**30
        ok = (not r["aborted"] and len(pages) == r["visits"] and all(map(_ok, pages)) and all(map(_ok, fragments))
              and rise <= RSS_GOAL_GIB)
        lines += [
            f"/en/lessons/{r['lesson']}: {r['visits']} visits in {r['wall']:.1f} s — {'PASS' if ok else 'FAIL'}"
            + (" (stopped: memory limit)" if r["aborted"] else ""),
            f"  pages:     {_summary(pages)}",
            f"  fragments: {_summary(fragments)} ({len(fragments)} in all)",
            f"  memory:    {r['start_rss'] / 2**30:.2f} GiB at start, peak {r['peak_rss'] / 2**30:.2f} GiB "
            f"(+{rise:.2f} GiB)",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.heavy_lessons", description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", default=list(LESSONS), help="lesson slugs (default: vgg resnet feature-hierarchy)")
    parser.add_argument("--visits", type=int, default=50, help="simultaneous first visits per lesson (default 50)")
    parser.add_argument("--rss-abort", type=float, default=6.0, help="kill the server above this rise in GiB (default 6)")
    args = parser.parse_args()
    runs = run(args.visits, args.lessons, args.rss_abort)
    print(report(runs), flush=True)
    sys.exit(0 if "FAIL" not in report(runs) else 1)


if __name__ == "__main__":
    main()
