"""The `stride` command: serve the course (and, later, manage model weights)."""

import argparse
import sys

from app.settings import get_settings


def _serve(args) -> int:
    import uvicorn

    from app.web.serving import uvicorn_options

    settings = get_settings()
    workers = args.workers or settings.workers
    if workers < 1:
        print("stride serve: --workers must be at least 1.", file=sys.stderr)
        return 2
    if workers > 1 and not settings.redis_url:
        print(f"stride serve: {workers} workers need STRIDE_REDIS_URL (redis://host:6379/0) so that every worker "
              "serves every live session; set it, or run one worker.", file=sys.stderr)
        return 2
    if workers > 1 and args.reload:
        print("stride serve: --reload runs one worker; leave out --workers.", file=sys.stderr)
        return 2
    uvicorn.run(
        "app.main:create_app", factory=True, host=args.host or settings.host, port=args.port or settings.port,
        reload=args.reload, workers=workers, proxy_headers=True, **uvicorn_options(settings),
    )
    return 0


def _weights_list(args) -> int:
    from app.compute.nets.registry import weights_status

    settings = get_settings()
    rows = weights_status(settings.weights_dir)
    print(f"Weights folder: {settings.weights_dir}")
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        if row["weights"] == "present":
            size = f"{row['size_bytes'] / 1e6:7.1f} MB"
            detail = f"sha256 {row['sha256'][:16]}…"
            if row["hash_matches_name"] is False:
                detail += "  (does not match the hash in its name: fetch it again)"
        else:
            size, detail = "      —   ", f"missing: {row['fetch'] or row['install'] or 'it ships with the project'}"
        default = "default" if row["default"] else "       "
        print(f"{row['name']:<{width}}  {row['task']:<22} {default}  {size}  {detail}")
    missing = [r["name"] for r in rows if r["weights"] == "missing"]
    print(f"{len(rows) - len(missing)} present, {len(missing)} missing.")
    return 0


def _weights_fetch(args) -> int:
    from app.compute.errors import InputError
    from app.compute.nets.registry import DEFAULT_MODELS, MODELS, FetchError, fetch_weights

    settings = get_settings()
    if args.all:
        names = [name for name, spec in MODELS.items() if spec.fetchable]
    elif args.default or not args.names:
        names = DEFAULT_MODELS
    else:
        names = args.names
    try:
        for path in fetch_weights(names, settings.weights_dir, progress=not args.quiet):
            print(f"ok  {path}")
    except (FetchError, InputError) as exc:
        if args.quiet and isinstance(exc, FetchError):
            print(f"stride: no weights for {exc.name} ({exc.reason}); the course runs without the models that need "
                  "them and says so. Fetch them later with: stride weights fetch --default", file=sys.stderr)
            return 1
        print(f"stride weights fetch: {exc}", file=sys.stderr)
        if isinstance(exc, FetchError):
            print("Is this machine online? Without internet, copy the files (their names are in "
                  "`stride weights list`) into the weights folder by hand.", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stride", description="Stride: an interactive course on CNNs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the course over HTTP")
    serve.add_argument("--host", help="address to listen on (default: STRIDE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: STRIDE_PORT or 8000)")
    serve.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="worker processes (default: STRIDE_WORKERS or 1); more than 1 needs STRIDE_REDIS_URL")
    serve.set_defaults(run=_serve)

    weights = commands.add_parser("weights", help="list or fetch pretrained model weights")
    weights_commands = weights.add_subparsers(dest="weights_command", required=True)
    listing = weights_commands.add_parser("list", help="what is present, sizes, checksums, what is missing")
    listing.set_defaults(run=_weights_list)
    fetch = weights_commands.add_parser("fetch", help="download weights with torchvision's hash check")
    fetch.add_argument("names", nargs="*", help="model names (default: the default set)")
    group = fetch.add_mutually_exclusive_group()
    group.add_argument("--default", action="store_true", help="the default set (small enough for any machine)")
    group.add_argument("--all", action="store_true", help="every model in the registry")
    fetch.add_argument("--quiet", action="store_true", help="no progress bars")
    fetch.set_defaults(run=_weights_fetch)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
