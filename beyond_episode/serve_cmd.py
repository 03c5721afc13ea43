"""``bep serve-subjects``: serve the reference subjects over HTTP until interrupted.

The server itself is :mod:`beyond_episode.subjects.server`; this module reads the command line
and reports where it serves.
"""

from __future__ import annotations

import argparse
import sys

from beyond_episode.subjects.server import DEFAULT_HOST, DEFAULT_PORT, make_server


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``bep serve-subjects``."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding to a non-loopback address (the server has no authentication)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="PATH",
        help="also serve a profile file, under its file name without .yaml (repeatable)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--fail-every",
        type=int,
        metavar="N",
        help="answer every Nth chat completion with HTTP 500 (fault injection, to test retries)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    server = make_server(
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        profiles=args.profile,
        verbose=args.verbose,
        fail_every=args.fail_every,
    )
    print(f"Serving subjects ({', '.join(server.model_names())}) at {server.url}", file=sys.stderr)
    print(
        f"Use: SUBJECTS_API_KEY=none SUBJECTS_BASE_URL={server.url} "
        "inspect eval ... --model openai-api/subjects/<profile>",
        file=sys.stderr,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
