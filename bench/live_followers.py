"""Live-session fan-out: N followers of one session on one server process, the presenter changes the slide.

A real server (in-process broker) runs in a subprocess; the followers are plain asyncio connections in this
process reading the event stream. For each slide change it measures the time from just before the PUT is
sent until each follower has read the new state (so the client's own reading is included), and the server's
resident memory per connected follower. Goal: 99% of 200 followers within 2 s on a 2-core machine.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GOAL_SECONDS = 2.0


def _start_server() -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    # Joins are limited per session in production; a benchmark connecting 1,000 at once lifts the limit.
    env = {**os.environ, "STRIDE_DEVICE": "cpu", "STRIDE_REDIS_URL": "", "STRIDE_LIVE_JOINS_PER_MINUTE": "1000000"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", HOST, "--port", str(port),
         "--log-level", "warning", "--no-access-log", "--backlog", "4096"], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1)
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _follow(port: int, code: str, arrivals: dict[int, list[float]], connected: asyncio.Event,
                  counter: list[int], total: int, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 20)
    writer.write(f"GET /api/live/{code}/events HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode())
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"follower refused: {status!r}")
    first = True
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"data: {"):  # chunk-size lines never start like this
                now = time.perf_counter()
                slide = json.loads(line[6:]).get("slide")
                if first:
                    first = False
                    counter[0] += 1
                    if counter[0] == total:
                        connected.set()
                elif slide is not None:
                    arrivals.setdefault(slide, []).append(now)
    finally:
        writer.close()


async def _session(port: int, followers: int, rounds: int, pid: int) -> dict:
    base = f"http://{HOST}:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        created = (await client.post("/api/live", json={"lesson": "convolution", "lang": "en"})).json()
        code, auth = created["code"], {"authorization": f"Bearer {created['presenter_key']}"}
        rss_before = _rss_bytes(pid)
        arrivals: dict[int, list[float]] = {}
        connected, stop, counter = asyncio.Event(), asyncio.Event(), [0]
        started = time.perf_counter()
        tasks = [asyncio.create_task(_follow(port, code, arrivals, connected, counter, followers, stop))
                 for _ in range(followers)]
        await asyncio.wait_for(connected.wait(), timeout=120)
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(1)
        rss_after = _rss_bytes(pid)
        latencies = []
        for slide in range(2, rounds + 2):
            sent = time.perf_counter()
            response = await client.put(f"/api/live/{code}/state", headers=auth,
                                        json={"lesson": "convolution", "lang": "en", "slide": slide, "query": ""})
            response.raise_for_status()
            deadline = time.perf_counter() + 15
            while len(arrivals.get(slide, ())) < followers and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            got = arrivals.get(slide, [])
            latencies += [t - sent for t in got] + [float("inf")] * (followers - len(got))
            await asyncio.sleep(0.5)
        stop.set()
        await client.delete(f"/api/live/{code}", headers=auth)
        await asyncio.wait(tasks, timeout=10)
        for task in tasks:
            task.cancel()
    latencies.sort()
    at = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "followers": followers, "rounds": rounds, "connect_s": connect_seconds,
        "p50_ms": at(0.50) * 1000, "p99_ms": at(0.99) * 1000, "max_ms": latencies[-1] * 1000,
        "within_goal": sum(t <= GOAL_SECONDS for t in latencies) / len(latencies),
        "kib_per_follower": (rss_after - rss_before) / followers / 1024,
    }


def run(device: str = "cpu", sizes: tuple[int, ...] = (200, 1000), rounds: int = 5) -> dict:
    """`device` is unused: fan-out never touches the model device."""
    process, port = _start_server()
    try:
        results = [asyncio.run(_session(port, n, rounds, process.pid)) for n in sizes]
    finally:
        process.terminate()
        process.wait(15)
    return {"cpus": os.cpu_count(), "sizes": results}


def report(result: dict) -> str:
    lines = [f"live-session fan-out, one server process, {result['cpus']} CPUs "
             f"(goal: 99% of 200 followers within {GOAL_SECONDS:.0f} s)"]
    for r in result["sizes"]:
        lines.append(
            f"{r['followers']:>5} followers × {r['rounds']} slide changes: p50 {r['p50_ms']:.0f} ms, "
            f"p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms, {100 * r['within_goal']:.1f}% within "
            f"{GOAL_SECONDS:.0f} s; {r['kib_per_follower']:.0f} KiB server memory per follower; "
            f"all connected in {r['connect_s']:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
