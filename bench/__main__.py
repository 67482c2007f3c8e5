"""`python -m bench [NAME ...] [--device cpu|cuda] [--quick]`: run the benchmarks and print their tables;
every ratio compares two things measured in the same run.

  serving      /api/conv2d under 100 connections vs the plainest FastAPI + torch endpoint
  api          classification through the API vs a bare forward pass, one client
  activations  all activation maps vs a bare forward pass (VGG-16, ResNet-18)
  throughput   ResNet-18 JPEG uploads from 64 clients, 1 and 2 workers (1, 4, 8 on a GPU), and the limit
  live         live-session followers (bench/live_followers.py)
  hostile      hostile requests' time and memory (bench/hostile.py)

With --device cuda and no names, the GPU set runs: throughput, api, activations, serving.

--quick shortens every measurement (a smoke run of the same code paths, e.g. to test bench/gpu.sh on a CPU).
"""

import argparse
import importlib
import time

import torch

# Imported when run, so a benchmark's own needs (httpx, redis …) matter only when it runs (bench/gpu.sh brings
# just what the GPU set needs).
BENCHMARKS = {"serving": "bench.serving", "api": "bench.api_classify", "activations": "bench.activations",
              "throughput": "bench.throughput", "live": "bench.live_followers", "hostile": "bench.hostile"}
GPU_SET = ("throughput", "api", "activations", "serving")  # most telling first, should time run out

# Measurement lengths per (device, quick): long enough to be steady, short enough for `make bench-gpu` to
# finish within 5 minutes on a GPU machine.
SETTINGS = {
    ("cpu", False): {"serving": {"duration": 8.0, "rounds": 2}, "api": {"repeat": 30}, "activations": {"repeat": 10},
                     "throughput": {"workers": (1, 2), "duration": 10.0, "client_processes": 1}},
    ("cuda", False): {"serving": {"duration": 6.0, "rounds": 2}, "api": {"repeat": 60}, "activations": {"repeat": 20},
                      "throughput": {"workers": (1, 4, 8), "duration": 8.0, "client_processes": 4}},
    ("cpu", True): {"serving": {"duration": 2.0, "rounds": 1}, "api": {"repeat": 6}, "activations": {"repeat": 2},
                    "throughput": {"workers": (1, 2), "duration": 3.0, "client_processes": 2, "clients": 16,
                                   "limit_batches": (8,)}},
    ("cuda", True): {"serving": {"duration": 2.0, "rounds": 1}, "api": {"repeat": 10}, "activations": {"repeat": 3},
                     "throughput": {"workers": (1, 2), "duration": 3.0, "client_processes": 2}},
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="short measurements: a smoke run of every path")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device here")
    settings = SETTINGS[(args.device, args.quick)]
    started = time.perf_counter()
    names = args.names or (GPU_SET if args.device == "cuda" else list(BENCHMARKS))
    for name in names:
        module = importlib.import_module(BENCHMARKS[name])
        begun = time.perf_counter()
        print(module.report(module.run(args.device, **settings.get(name, {}))), flush=True)
        print(f"({name}: {time.perf_counter() - begun:.0f} s)\n", flush=True)
    print(f"all benchmarks: {time.perf_counter() - started:.0f} s on {args.device}"
          + (f" ({torch.cuda.get_device_name()})" if args.device == "cuda" else ""))


if __name__ == "__main__":
    main()
