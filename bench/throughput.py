"""Throughput of classification uploads: ResNet-18, 800×600 JPEGs, 64 concurrent clients, against Stride
served by 1, 4 … uvicorn workers (each worker holds its own copy of the model and batches its own
requests on the device), next to the limit of the same work without HTTP: a batch of 64 uploads decoded,
prepared and classified in one call (app.compute.nets.device_batch.classify_mixed).

Goal on an H200: ≥ 1,500 requests/s with p99 ≤ 250 ms. On a CPU the numbers show the same path, slower.
Each client sends its own picture, so no two requests in flight are the same upload.
"""

import statistics
import sys
import tempfile
import time

import torch

from bench import loadgen
from bench.api_classify import MODEL, write_weights
from bench.photo import jpeg_bytes
from bench.servers import HOST, Server

RPS_GOAL, P99_GOAL = 1500, 0.250


def limit(device: str, weights_dir: str, batch: int, rounds: int = 5) -> float:
    """Images per second of decode + preprocess + forward + top-5 for `batch` JPEGs in one call."""
    from app.compute.images import exif_orientation, open_upload
    from app.compute.nets.device_batch import EncodedJpeg, classify_mixed

    items = []
    for seed in range(batch):
        data = jpeg_bytes(seed=seed)
        image, _ = open_upload(data, max_bytes=10 * 2**20, max_pixels=40_000_000, min_side=256)
        items.append(EncodedJpeg(data, exif_orientation(image), image.size))
    classify_mixed(MODEL, items, weights_dir, device)  # warm-up: model load, cuDNN, decoder
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        classify_mixed(MODEL, items, weights_dir, device)  # ends with the top-5 copy: synchronised
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def _requests(port: int, clients: int) -> list[bytes]:
    out = []
    for seed in range(clients):
        body, content_type = loadgen.multipart("image", f"photo{seed}.jpg", jpeg_bytes(seed=seed), "image/jpeg")
        out.append(loadgen.request_bytes(HOST, port, f"/api/models/{MODEL}/predict", body, content_type))
    return out


def run(device: str = "cpu", clients: int = 64, workers: tuple[int, ...] = (1, 4), duration: float = 6.0,
        client_processes: int = 4, limit_batches: tuple[int, ...] = (16, 64)) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as weights_dir:
        write_weights(weights_dir)
        limits = {batch: limit(device, weights_dir, batch, rounds=3 if device == "cpu" else 10)
                  for batch in limit_batches}
        env = {"STRIDE_WEIGHTS_DIR": weights_dir, "STRIDE_DEVICE": device, "STRIDE_QUEUE_SIZE": str(4 * clients)}
        for count in workers:
            with Server("app.main:create_app", env, workers=count, factory=True, ready_path="/healthz",
                        timeout=300) as server:
                requests = _requests(server.port, clients)
                # warm-up: every worker loads its model and meets every batch size it will see
                loadgen.python_load(HOST, server.port, requests, clients, 5.0, warmup=0, processes=client_processes)
                before = server.cpu_seconds()
                load = loadgen.python_load(HOST, server.port, requests, clients, duration, warmup=0.5,
                                           processes=client_processes)
                rows.append({"workers": count, "load": load, "cpu_s": server.cpu_seconds() - before})
    return {"device": device, "clients": clients, "rows": rows, "limits": limits}


def report(result: dict) -> str:
    lines = [f"throughput: {MODEL}, 800×600 JPEG uploads, {result['clients']} concurrent clients ({result['device']}; "
             "each uvicorn worker holds a model copy and batches on the device)"]
    for batch, rate in result["limits"].items():
        lines.append(f"  limit without HTTP, batch {batch:>3}: {rate:8.0f} images/s (decode + preprocess + forward + top-5)")
    best = None
    for row in result["rows"]:
        load = row["load"]
        ok = load.rps >= RPS_GOAL and load.p99 <= P99_GOAL
        lines.append(f"  {row['workers']} worker(s): {load.line()}  server CPU {row['cpu_s']:.1f} s"
                     + ("  goal met" if ok else ""))
        if best is None or load.rps > best["load"].rps:
            best = row
    if best:
        load = best["load"]
        verdict = "ok" if load.rps >= RPS_GOAL and load.p99 <= P99_GOAL else "not met"
        lines.append(f"  best: {best['workers']} worker(s), {load.rps:.0f} req/s, p99 {load.p99 * 1000:.0f} ms "
                     f"(goal on an H200: ≥ {RPS_GOAL} req/s with p99 ≤ {P99_GOAL * 1000:.0f} ms: {verdict})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1] if len(sys.argv) > 1 else ("cuda" if torch.cuda.is_available() else "cpu"))))
