"""/api/conv2d (16×16 input, 3×3 kernel) under ~100 concurrent keep-alive connections, against the
plainest FastAPI + torch endpoint doing the same work (bench/plain_app.py), in the same run and under
the same uvicorn settings. Goal: at least 0.9× its requests/s, with a p99 at most 1.2× its p99.

The two servers take turns (plain, Stride, plain, Stride …) so a drift in the machine's speed hits
both alike; each gets the same number of rounds and the ratios compare the sums.
"""

import json
import os
import random
import sys
import urllib.request

from bench import loadgen
from bench.servers import HOST, Server

RPS_GOAL, P99_GOAL = 0.9, 1.2


def _body() -> bytes:
    rng = random.Random(0)
    image = [[round(rng.uniform(-1, 1), 3) for _ in range(16)] for _ in range(16)]
    kernel = [[round(rng.uniform(-1, 1), 3) for _ in range(3)] for _ in range(3)]
    return json.dumps({"input": image, "kernel": kernel}).encode()


def run(device: str = "cpu", connections: int = 100, duration: float = 8.0, rounds: int = 2, tool: str = "",
        processes: int = 2) -> dict:
    """tool: "wrk", "python" or "auto" (wrk when installed); default: $BENCH_LOADGEN, else auto."""
    tool = tool or os.environ.get("BENCH_LOADGEN", "auto")
    body = _body()
    env = {"STRIDE_DEVICE": device}
    loads: dict[str, list[loadgen.Load]] = {"plain": [], "stride": []}
    with Server("bench.plain_app:app", env) as plain, Server("app.main:create_app", env, factory=True) as stride:
        for server in (plain, stride):  # the same answer from both, before timing anything
            request = urllib.request.Request(server.base + "/api/conv2d", body, {"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read())
            assert answer["shape"] == [14, 14], answer
        for server in (plain, stride):  # warm-up: threads started, code paths run once
            loadgen.load(HOST, server.port, "/api/conv2d", body, "application/json", connections, 1.0, tool=tool,
                         processes=processes, warmup=0)
        cpu: dict[str, float] = {"plain": 0.0, "stride": 0.0}
        for _ in range(rounds):
            for name, server in (("plain", plain), ("stride", stride)):
                before = server.cpu_seconds()
                loads[name].append(loadgen.load(HOST, server.port, "/api/conv2d", body, "application/json",
                                                connections, duration, tool=tool, processes=processes, warmup=0))
                cpu[name] += server.cpu_seconds() - before
    answered = {name: sum(load.ok + sum(load.other.values()) for load in runs) for name, runs in loads.items()}
    total = {name: sum(load.ok for load in runs) / sum(load.seconds for load in runs) for name, runs in loads.items()}
    p99 = {name: sum(load.p99 for load in runs) / len(runs) for name, runs in loads.items()}
    cpu_ms = {name: 1000 * cpu[name] / max(1, answered[name]) for name in cpu}
    return {
        "device": device, "connections": connections, "tool": loads["plain"][0].tool, "rounds": loads,
        "rps": total, "p99": p99, "rps_ratio": total["stride"] / total["plain"], "p99_ratio": p99["stride"] / p99["plain"],
        "cpu_ms": cpu_ms, "cpu_ratio": cpu_ms["stride"] / cpu_ms["plain"],
    }


def report(result: dict) -> str:
    lines = [f"/api/conv2d, 16×16 input and 3×3 kernel, {result['connections']} connections ({result['tool']}, "
             f"{result['device']}; both servers under the same uvicorn settings, taking turns)"]
    for name, title in (("plain", "plain FastAPI + torch"), ("stride", "Stride /api/conv2d")):
        for i, load in enumerate(result["rounds"][name], 1):
            lines.append(f"  {title:<22} round {i}: {load.line()}")
    rps_ok = "ok" if result["rps_ratio"] >= RPS_GOAL else "UNDER"
    p99_ok = "ok" if result["p99_ratio"] <= P99_GOAL else "OVER"
    lines.append(f"  Stride / plain: {result['rps_ratio']:.2f}× requests/s (goal ≥ {RPS_GOAL}×: {rps_ok}), "
                 f"{result['p99_ratio']:.2f}× p99 (goal ≤ {P99_GOAL}×: {p99_ok}); server CPU per request "
                 f"{result['cpu_ms']['stride']:.2f} ms vs {result['cpu_ms']['plain']:.2f} ms = {result['cpu_ratio']:.2f}× "
                 "(steadier than wall-clock rates on a shared machine)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1] if len(sys.argv) > 1 else "cpu")))
