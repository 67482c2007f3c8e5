"""A hostile student's requests against a real `stride serve`: each one's time and peak memory, and how much
eight of them at once delay a normal student's requests (pages, a small convolution, a drawn digit).

Goals (issue 13): no single request over 256 MiB or 3 s; eight hostile ones at once delay a normal request by
at most a second. Memory is the server process's resident set, sampled every 2 ms while a request runs.
"""

import io
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def _png_claiming(width: int, height: int, depth: int = 16) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" * (1 + width * depth // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "stridebench"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def hostile_requests() -> dict[str, tuple[str, bytes, str]]:
    """name -> (path, body, content type): what the issue measured on main, and the largest accepted uploads."""
    biggest = int((2**23) ** 0.5)  # the largest square a non-JPEG may be (2^23 pixels)
    requests = {
        "conv 64×8×8, 64×31×31 kernel, padding 30": (
            "/api/conv2d", json.dumps({"input": np.ones((64, 8, 8)).tolist(), "kernel": np.ones((1, 64, 31, 31)).tolist(),
                                       "padding": 30}).encode(), "application/json"),
        "pool 512×512, window 32, stride 1": (
            "/api/pool2d", json.dumps({"input": np.ones((512, 512)).tolist(), "size": 32, "stride": 1,
                                       "padding": 16}).encode(), "application/json"),
        "6324×6324 16-bit PNG to LeNet-5": ("/api/models/lenet5/predict", *_multipart(_png_claiming(6324, 6324))),
        "lossless WebP 6000×6000 to LeNet-5": (
            "/api/models/lenet5/predict", *_multipart(_encode(Image.new("RGBA", (6000, 6000)), "WEBP", lossless=True))),
        f"largest accepted PNG, RGBA {biggest}² to LeNet-5": (
            "/api/models/lenet5/predict",
            *_multipart(_encode(Image.new("RGBA", (biggest, biggest), (0, 0, 0, 0)), "PNG"))),
        f"largest accepted PNG, 16-bit {biggest}²": ("/api/models/lenet5/predict", *_multipart(_png_claiming(biggest, biggest))),
        "JSON nested 100,000 deep": ("/api/models/lenet5/predict", b"[" * 100_000 + b"]" * 100_000, "application/json"),
        "9 MB string echoed": ("/api/pool2d", json.dumps({"input": [[1]], "mode": "m" * 9_000_000}).encode(),
                               "application/json"),
    }
    return requests


def normal_requests() -> dict[str, tuple[str, bytes | None, str | None]]:
    digit = np.zeros((28, 28))
    digit[6:22, 12:16] = 1.0
    return {
        "lesson page": ("/en/lessons/convolution", None, None),
        "small conv": ("/api/conv2d", json.dumps({"input": np.arange(36).reshape(6, 6).tolist(),
                                                  "kernel": [[1, 0], [0, -1]]}).encode(), "application/json"),
        "drawn digit": ("/api/models/lenet5/predict", json.dumps({"pixels": digit.tolist()}).encode(),
                        "application/json"),
    }


def _send(base: str, path: str, body: bytes | None, kind: str | None, timeout: float = 60) -> tuple[int, float]:
    request = urllib.request.Request(base + path, data=body, headers={"content-type": kind} if kind else {})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_during(pid: int, action) -> tuple[object, int]:
    """(action's result, the largest rise of the process's RSS above its level before, in bytes)."""
    before, peak, done = _rss(pid), 0, threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(pid))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    return result, max(0, peak - before)


def _start(device: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "STRIDE_DEVICE": device}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("stride serve did not start")


def _latencies(base: str, requests: dict, seconds: float) -> dict[str, list[float]]:
    times = {name: [] for name in requests}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, (path, body, kind) in requests.items():
            status, elapsed = _send(base, path, body, kind)
            if status == 200:
                times[name].append(elapsed)
    return times


def _attack(base: str, action) -> tuple[object, list[int]]:
    """action()'s result while eight hostile clients send the heaviest accepted requests again and again."""
    heavy = [v for k, v in hostile_requests().items() if k.startswith("largest")]
    heavy.append(("/api/conv2d", json.dumps({"input": np.ones((64, 32, 32)).tolist(),
                                             "kernel": np.ones((32, 64, 5, 5)).tolist(), "padding": 2}).encode(),
                  "application/json"))
    stop = threading.Event()
    statuses: list[int] = []

    def attack(i: int):
        while not stop.is_set():
            path, body, kind = heavy[i % len(heavy)]
            statuses.append(_send(base, path, body, kind)[0])

    attackers = [threading.Thread(target=attack, args=(i,)) for i in range(8)]
    for thread in attackers:
        thread.start()
    time.sleep(1.0)
    try:
        return action(), statuses
    finally:
        stop.set()
        for thread in attackers:
            thread.join()


def run(device: str = "cpu", load_seconds: float = 12.0, rounds: int = 2) -> dict:
    """The hostile requests one at a time, then `rounds` pairs of phases, normal requests alone (load_seconds / 2)
    and with eight hostile clients (load_seconds), alternated so that the rest of the machine weighs on both."""
    process, base = _start(device)
    try:
        normal = normal_requests()
        _latencies(base, normal, 2.0)  # warm up: templates, LeNet-5, torch
        singles = {}
        for name, (path, body, kind) in hostile_requests().items():
            (status, seconds), peak = _peak_during(process.pid, lambda: _send(base, path, body, kind))
            singles[name] = {"status": status, "seconds": seconds, "peak_mib": peak / 2**20, "body_kib": len(body) / 1024}
        baseline = {name: [] for name in normal}
        under = {name: [] for name in normal}
        loads = {"alone": [], "under": []}
        hostile_statuses: list[int] = []
        peak = 0
        for _ in range(rounds):
            for name, times in _latencies(base, normal, load_seconds / 2).items():
                baseline[name] += times
            loads["alone"].append(os.getloadavg()[0])
            (times, round_peak), statuses = _attack(
                base, lambda: _peak_during(process.pid, lambda: _latencies(base, normal, load_seconds)))
            for name, values in times.items():
                under[name] += values
            loads["under"].append(os.getloadavg()[0])
            hostile_statuses += statuses
            peak = max(peak, round_peak)
        return {"device": device, "singles": singles, "baseline": baseline, "under": under, "load_peak_mib": peak / 2**20,
                "load_average": {**{k: statistics.mean(v) for k, v in loads.items()}, "cores": os.cpu_count()},
                "rounds": rounds,
                "hostile_statuses": {s: hostile_statuses.count(s) for s in sorted(set(hostile_statuses))}}
    finally:
        process.terminate()
        process.wait(20)


def report(result: dict) -> str:
    lines = [f"Hostile requests, one at a time ({result['device']}):",
             f"{'request':<48} {'body':>9} {'status':>6} {'time':>8} {'peak RSS':>10}"]
    for name, row in result["singles"].items():
        lines.append(f"{name:<48} {row['body_kib']:7.0f} K {row['status']:>6} {row['seconds']:7.2f}s "
                     f"{row['peak_mib']:7.0f} MiB")
    lines.append("")
    lines.append("A normal student's requests, alone and with 8 hostile clients at once "
                 f"(hostile answers: {result['hostile_statuses']}; peak RSS rise under load {result['load_peak_mib']:.0f} MiB):")
    load = result["load_average"]
    lines.append(f"({result['rounds']} rounds, alone and hostile phases alternated; mean 1-minute load average "
                 f"{load['alone']:.1f} after the phases alone, {load['under']:.1f} after the hostile ones, on "
                 f"{load['cores']} cores)")
    lines.append(f"{'request':<14} {'alone p50':>10} {'p95':>7} {'max':>7} {'loaded p50':>11} {'p95':>7} {'max':>7} "
                 f"{'added (max − p50 alone)':>24} {'p50 ×':>6} {'p95 ×':>6}")
    for name in result["baseline"]:
        alone, loaded = sorted(result["baseline"][name]), sorted(result["under"][name])
        if not alone or not loaded:
            lines.append(f"{name:<14} (no successful requests: alone {len(alone)}, loaded {len(loaded)})")
            continue
        a50, a95, amax = statistics.median(alone), alone[int(0.95 * (len(alone) - 1))], alone[-1]
        l50, l95, lmax = statistics.median(loaded), loaded[int(0.95 * (len(loaded) - 1))], loaded[-1]
        lines.append(f"{name:<14} {a50 * 1000:8.0f}ms {a95 * 1000:5.0f}ms {amax * 1000:5.0f}ms {l50 * 1000:9.0f}ms "
                     f"{l95 * 1000:5.0f}ms {lmax * 1000:5.0f}ms {(lmax - a50) * 1000:21.0f}ms {l50 / a50:6.1f} "
                     f"{l95 / a95:6.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
