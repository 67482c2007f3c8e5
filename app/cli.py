"""The `stride` command: serve the course (and, later, manage model weights)."""

import argparse
import sys

from app.settings import get_settings


def _serve(args) -> int:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app", factory=True, host=args.host or settings.host, port=args.port or settings.port,
        reload=args.reload, proxy_headers=True,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stride", description="Stride: an interactive course on CNNs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the course over HTTP")
    serve.add_argument("--host", help="address to listen on (default: STRIDE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: STRIDE_PORT or 8000)")
    serve.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    serve.set_defaults(run=_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
