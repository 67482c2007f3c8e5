"""`stride serve --workers N`: more than one worker needs STRIDE_REDIS_URL; with it, every worker serves every
live session."""

import os
import subprocess
import sys
import time

import httpx

from tests.serving.servers import ROOT, start_stride, stop


def test_several_workers_without_redis_refuse_to_start_with_one_line():
    env = {k: v for k, v in os.environ.items() if k != "STRIDE_REDIS_URL"}
    result = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--workers", "3"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "STRIDE_REDIS_URL" in lines[0] and "3 workers" in lines[0]
    env["STRIDE_WORKERS"] = "2"  # the setting says the same as the flag
    result = subprocess.run([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "STRIDE_REDIS_URL" in result.stderr


def worker_pids(parent: int) -> set[int]:
    children = set()
    for task in os.listdir(f"/proc/{parent}/task"):
        with open(f"/proc/{parent}/task/{task}/children") as f:
            children |= {int(pid) for pid in f.read().split()}
    return children


def test_two_workers_share_live_sessions_through_redis(redis_url):
    process, base = start_stride(None, "--workers", "2", STRIDE_REDIS_URL=redis_url)
    try:
        deadline = time.monotonic() + 60
        while len(worker_pids(process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(worker_pids(process.pid)) >= 2
        created = httpx.post(base + "/api/live", json={"lesson": "convolution", "lang": "en"})
        assert created.status_code == 201, created.text
        code, key = created.json()["code"], created.json()["presenter_key"]
        headers = {"authorization": f"Bearer {key}"}
        state = {"lesson": "convolution", "lang": "en", "slide": 3, "query": ""}
        # A new connection each time: the kernel hands connections to both workers.
        for _ in range(12):
            with httpx.Client() as client:
                assert client.get(f"{base}/live/{code}").status_code == 200
                assert client.put(f"{base}/api/live/{code}/state", json=state, headers=headers).status_code == 204
                assert client.get(f"{base}/api/live/{code}/answers", headers=headers).status_code == 200
    finally:
        stop(process)
