"""`python -m bench [activations|api ...] [--device cpu|cuda]`: run the benchmarks and print their tables."""

import argparse

import torch

from bench import activations, api_classify, hostile, live_followers

BENCHMARKS = {"activations": activations, "api": api_classify, "live": live_followers, "hostile": hostile}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    for name in args.names or BENCHMARKS:
        module = BENCHMARKS[name]
        print(module.report(module.run(args.device)), flush=True)
        print()


if __name__ == "__main__":
    main()
