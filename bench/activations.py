"""All activation maps of VGG-16 and ResNet-18 for one 224×224 image, through the app's own code
(app.compute.nets.activations.network_activations: one forward pass with hooks, then the top channels of
every row as thumbnails), against a bare `model(x)` in the same run. Goal: at most 1.3× the bare pass on
the CPU, 1.5× on a GPU (where the maps are ranked, shrunk and quantised on the device and copied back once).

Weights are random (weights=None): the timing and the memory do not depend on their values, and
nothing is downloaded. Peak memory is measured in a fresh process per case: the peak resident set
size (VmHWM in /proc/self/status, reset before the pass through /proc/self/clear_refs) on the CPU,
torch.cuda.max_memory_allocated on a GPU. (resource.getrusage's ru_maxrss would not do: Linux keeps
it across exec, so a fresh process would report its parent's peak.)
"""

import multiprocessing
import statistics
import sys
import time

import torch

NETWORKS = ("vgg16", "resnet18")
GOALS = {"cpu": 1.3, "cuda": 1.5}  # maps vs bare forward


def _model_and_input(network: str, device: str):
    from app.compute.nets.architectures import NETWORKS as BUILDERS

    torch.manual_seed(0)
    model = BUILDERS[network][0]().to(device).eval()
    x = torch.rand(1, 3, 224, 224, device=device)  # (1, C, H, W)
    return model, x


def _bare(model, x):
    with torch.inference_mode():
        model(x)


def _maps(model, x, network):
    from app.compute.nets.activations import network_activations

    return network_activations(model, x, network)  # copies the chosen maps to the CPU: synchronises on a GPU


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _timings(network: str, device: str, repeat: int) -> dict[str, list[float]]:
    """Wall-clock and CPU seconds of each pass (CPU time stays honest on a machine busy with other work)."""
    model, x = _model_and_input(network, device)
    for _ in range(2):  # warm-up: allocator, cuDNN autotuning, the meta pass that maps rows to modules
        _bare(model, x)
        _maps(model, x, network)
    _sync(device)
    times = {"bare": [], "maps": [], "bare_cpu": [], "maps_cpu": []}
    for _ in range(repeat):  # interleaved, so drifts in clock speed hit both alike
        for mode, work in (("bare", lambda: _bare(model, x)), ("maps", lambda: _maps(model, x, network))):
            wall, cpu = time.perf_counter(), time.process_time()
            work()
            _sync(device)
            times[mode].append(time.perf_counter() - wall)
            times[mode + "_cpu"].append(time.process_time() - cpu)
    return times


def _status(field: str) -> int:
    """A memory line of /proc/self/status in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _peak_child(network: str, device: str, mode: str, queue) -> None:
    from app.compute.nets.activations import row_targets

    model, x = _model_and_input(network, device)
    row_targets(network)  # the one-off setup, in both modes so they start from the same state
    _sync(device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak RSS to the current RSS
        base = _status("VmRSS")
    if mode == "bare":
        _bare(model, x)
    else:
        _maps(model, x, network)
    _sync(device)
    queue.put((base, torch.cuda.max_memory_allocated() if device == "cuda" else _status("VmHWM")))


def _peak(network: str, device: str, mode: str) -> tuple[int, int]:
    """(bytes before the pass, peak bytes during it) in a fresh process: RSS on the CPU, allocated on a GPU."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_peak_child, args=(network, device, mode, queue))
    process.start()
    result = queue.get(timeout=600)
    process.join()
    return result


def run(device: str = "cpu", repeat: int = 10) -> list[dict]:
    from app.compute.nets.architectures import architecture_table

    rows = []
    for network in NETWORKS:
        times = _timings(network, device, repeat)
        bare, maps = times["bare"], times["maps"]
        _, peak_bare = _peak(network, device, "bare")
        _, peak_maps = _peak(network, device, "maps")
        rows.append({
            "network": network, "device": device,
            "bare_ms": statistics.median(bare) * 1000, "maps_ms": statistics.median(maps) * 1000,
            "ratio": statistics.median(maps) / statistics.median(bare),
            "cpu_ratio": statistics.median(times["maps_cpu"]) / statistics.median(times["bare_cpu"]),
            "peak_bare_mib": peak_bare / 2**20, "peak_maps_mib": peak_maps / 2**20,
            "extra_mib": (peak_maps - peak_bare) / 2**20,
            "kept_mib": architecture_table(network)["totals"]["activation_bytes"] / 2**20,
        })
    return rows


def report(rows: list[dict]) -> str:
    memory = "peak allocated" if rows and rows[0]["device"] == "cuda" else "peak RSS"
    head = (f"{'network':<10} {'bare model(x)':>14} {'all maps':>10} {'ratio':>7} {'CPU-time ratio':>15}  {'goal':>9}  "
            f"{memory + ', bare':>18} {memory + ', maps':>18} {'extra':>9} {'activations':>12}")
    device = rows[0]["device"] if rows else "?"
    lines = [f"activation maps of one 224×224 image ({device}, {torch.get_num_threads()} threads; medians of "
             f"wall-clock time, and of this process's CPU time)", head, "-" * len(head)]
    for r in rows:
        goal = GOALS[r["device"]]
        verdict = "ok" if r["ratio"] <= goal else "OVER"
        lines.append(
            f"{r['network']:<10} {r['bare_ms']:>11.1f} ms {r['maps_ms']:>7.1f} ms {r['ratio']:>6.2f}× {r['cpu_ratio']:>14.2f}×  "
            f"≤{goal}× {verdict:<4} {r['peak_bare_mib']:>14.0f} MiB {r['peak_maps_mib']:>14.0f} MiB "
            f"{r['extra_mib']:>5.0f} MiB {r['kept_mib']:>8.1f} MiB"
        )
    lines.append("(peaks of the whole process, torch included; extra: maps minus bare; activations: what the table's "
                 "rows hold in float32, kept until every map is read)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1] if len(sys.argv) > 1 else ("cuda" if torch.cuda.is_available() else "cpu"))))
