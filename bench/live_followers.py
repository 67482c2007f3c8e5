"""Live-session fan-out: N followers of one session, the presenter changes the slide.

A real server (in-process broker) runs in a subprocess; the followers are plain asyncio connections in this
process reading the event stream. With Debian's redis-server on the PATH it runs again through Redis, with the
followers split over two server processes and the presenter on the first. For each slide change it measures the time from just before the PUT is
sent until each follower has read the new state (so the client's own reading is included), and the server's
resident memory per connected follower. Goal: 99% of 200 followers within 2 s on a 2-core machine.
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
GOAL_SECONDS = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_redis(folder: str) -> tuple[subprocess.Popen, str]:
    """Debian's redis-server on a free loopback port, keeping nothing on disk; returns it once it answers PING."""
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", HOST, "--dir", folder,
         "--save", "", "--appendonly", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return process, f"redis://{HOST}:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def _start_server(redis_url: str = "") -> tuple[subprocess.Popen, int]:
    port = free_port()
    # Joins are limited per session in production; a benchmark connecting 1,000 at once lifts the limit.
    env = {**os.environ, "STRIDE_DEVICE": "cpu", "STRIDE_REDIS_URL": redis_url,
           "STRIDE_LIVE_JOINS_PER_MINUTE": "1000000"}
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


async def _session(ports: list[int], pids: list[int], followers: int, rounds: int) -> dict:
    """Followers spread over the servers on `ports`; the presenter drives through the first."""
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{ports[0]}", timeout=30) as client:
        created = (await client.post("/api/live", json={"lesson": "convolution", "lang": "en"})).json()
        code, auth = created["code"], {"authorization": f"Bearer {created['presenter_key']}"}
        rss_before = sum(_rss_bytes(pid) for pid in pids)
        arrivals: dict[int, list[float]] = {}
        connected, stop, counter = asyncio.Event(), asyncio.Event(), [0]
        started = time.perf_counter()
        tasks = [asyncio.create_task(_follow(ports[i % len(ports)], code, arrivals, connected, counter, followers,
                                             stop)) for i in range(followers)]
        await asyncio.wait_for(connected.wait(), timeout=120)
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(1)
        rss_after = sum(_rss_bytes(pid) for pid in pids)
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
        "servers": len(ports), "followers": followers, "rounds": rounds, "connect_s": connect_seconds,
        "p50_ms": at(0.50) * 1000, "p99_ms": at(0.99) * 1000, "max_ms": latencies[-1] * 1000,
        "within_goal": sum(t <= GOAL_SECONDS for t in latencies) / len(latencies),
        "kib_per_follower": (rss_after - rss_before) / followers / 1024,
    }


def run(device: str = "cpu", sizes: tuple[int, ...] = (200, 1000), rounds: int = 5) -> dict:
    """`device` is unused: fan-out never touches the model device."""
    process, port = _start_server()
    try:
        results = {"in-process": [asyncio.run(_session([port], [process.pid], n, rounds)) for n in sizes]}
    finally:
        _stop(process)
    if shutil.which("redis-server"):
        with tempfile.TemporaryDirectory() as folder:
            redis, url = start_redis(folder)
            servers = []
            try:
                servers = [_start_server(url) for _ in range(2)]
                ports, pids = [p for _, p in servers], [s.pid for s, _ in servers]
                results["redis, 2 processes"] = [asyncio.run(_session(ports, pids, n, rounds)) for n in sizes]
            finally:
                for server, _ in servers:
                    _stop(server)
                _stop(redis)
    return {"cpus": os.cpu_count(), "brokers": results}


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def report(result: dict) -> str:
    lines = [f"live-session fan-out, {result['cpus']} CPUs (goal: 99% of 200 followers within {GOAL_SECONDS:.0f} s "
             "on one process)"]
    for broker, sizes in result["brokers"].items():
        for r in sizes:
            lines.append(
                f"{broker:>18}: {r['followers']:>5} followers × {r['rounds']} slide changes: p50 {r['p50_ms']:.0f} ms, "
                f"p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms, {100 * r['within_goal']:.1f}% within "
                f"{GOAL_SECONDS:.0f} s; {r['kib_per_follower']:.0f} KiB server memory per follower; "
                f"all connected in {r['connect_s']:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
