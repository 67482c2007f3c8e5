"""Classification of an uploaded photo through the HTTP API vs a bare forward pass, in the same run.

Uses ResNet-18 with a state dict this script writes itself (weights=None: the timing is the same as
with trained weights, and nothing is downloaded). Reports the ratio at one client (goal ≤ 1.25×) and
p50/p99 latency with 30 concurrent clients against a real server on loopback.
"""

import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import torch
import torchvision

from app.compute import samples
from app.compute.nets import registry

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(weights_dir: str, device: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "STRIDE_WEIGHTS_DIR": weights_dir, "STRIDE_DEVICE": device, "STRIDE_QUEUE_SIZE": "64"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def run(device: str = "cpu", repeat: int = 20, clients: int = 30, per_client: int = 4) -> dict:
    photo = samples.load_sample("chelsea", 800)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    jpeg = buffer.getvalue()
    with tempfile.TemporaryDirectory() as weights_dir:
        spec = registry.MODELS["resnet18"]
        model = torchvision.models.resnet18(weights=None)
        torch.save(model.state_dict(), registry.weights_path(spec, weights_dir))
        model = model.to(device).eval()
        x = spec.transforms()(photo)[None].to(device)  # (1, 3, 224, 224)

        def bare():
            with torch.inference_mode():
                model(x).softmax(1).topk(5)
            if device == "cuda":
                torch.cuda.synchronize()

        bare()
        bare_times = _timed(bare, repeat)
        process, base = _start_server(weights_dir, device)
        try:
            with httpx.Client(base_url=base, timeout=120) as client:
                def upload():
                    response = client.post("/api/models/resnet18/predict", files={"image": ("cat.jpg", jpeg, "image/jpeg")})
                    response.raise_for_status()

                upload()  # load the model once
                api_times = _timed(upload, repeat)

                def client_loop(_):
                    out = []
                    with httpx.Client(base_url=base, timeout=120) as own:
                        for _ in range(per_client):
                            start = time.perf_counter()
                            response = own.post("/api/models/resnet18/predict", files={"image": ("cat.jpg", jpeg, "image/jpeg")})
                            out.append((time.perf_counter() - start, response.status_code))
                    return out

                start = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    results = [r for chunk in pool.map(client_loop, range(clients)) for r in chunk]
                wall = time.perf_counter() - start
        finally:
            process.terminate()
            process.wait(10)
    ok = sorted(t for t, status in results if status == 200)
    refused = sum(1 for _, status in results if status == 503)
    p = lambda q: ok[min(len(ok) - 1, int(q * len(ok)))] if ok else float("nan")  # noqa: E731
    return {
        "device": device,
        "bare_ms": statistics.median(bare_times) * 1000,
        "api_ms": statistics.median(api_times) * 1000,
        "ratio": statistics.median(api_times) / statistics.median(bare_times),
        "clients": clients,
        "requests": len(results),
        "ok": len(ok),
        "refused_503": refused,
        "p50_ms": p(0.50) * 1000,
        "p99_ms": p(0.99) * 1000,
        "throughput_rps": len(ok) / wall,
    }


def report(result: dict) -> str:
    return (
        f"classification through the API ({result['device']}): bare forward {result['bare_ms']:.1f} ms, "
        f"upload → top-5 {result['api_ms']:.1f} ms, ratio {result['ratio']:.2f}× (goal ≤ 1.25×)\n"
        f"{result['clients']} concurrent clients, {result['requests']} requests: {result['ok']} ok, "
        f"{result['refused_503']} refused (503); p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
        f"{result['throughput_rps']:.1f} req/s"
    )


if __name__ == "__main__":
    print(report(run("cuda" if torch.cuda.is_available() else "cpu")))
