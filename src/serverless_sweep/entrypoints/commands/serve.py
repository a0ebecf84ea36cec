"""`sweep serve`: the local API (API Gateway emulator) over a local runtime, with uvicorn.

The API has no authentication, so it listens on 127.0.0.1 unless told otherwise, and says so
loudly when told otherwise. The listening socket is bound before uvicorn starts, so the printed
URL is right even with `--port 0` (any free port), which is how tests start it.

Shutdown: Ctrl-C (SIGINT) stops accepting requests, lets uvicorn finish the open ones, then waits
for the shard invocations still queued or running (a second Ctrl-C drops them: they are recorded
as missing, and `sweep redrive RUN_ID` dispatches exactly those). SIGTERM drops them at once, as
a process manager expects a prompt exit.
"""

from __future__ import annotations

import argparse
import ipaddress
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from serverless_sweep.adapters.local.store import STORE_ENV_VAR, store_root_from_env

if TYPE_CHECKING:
    from serverless_sweep.adapters.local.runtime import LocalRuntime

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

HELP = """\
Serve the HTTP API on this machine: an emulator of the deployed API Gateway (REST API, Lambda
proxy) in front of the same parent and status handlers the Lambdas run, with worker processes
for the shard fan-out and a local folder as the object store.

Routes (see GET /openapi.json): POST /sweep-run, GET /sweep-run (list runs),
GET /sweep-run/{run_id}, POST /sweep-run/{run_id}/redrive, GET /openapi.json,
GET /schemas/{version}/{name}, and Swagger UI at GET /docs (offline: its assets come from the
swagger-ui-py package).

The store folder is --store, else $SWEEP_STORE, else ./sweep-data. The default model (for
requests that name none) is --model, else $SWEEP_DEFAULT_MODEL, else ride_hailing.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the local API (API Gateway emulator) on 127.0.0.1",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; the API has no authentication)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="DIR",
        help=f"store folder (default ${STORE_ENV_VAR}, else ./sweep-data)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=None,
        metavar="N",
        help="worker processes for the shard invocations (default: one per core)",
    )
    parser.add_argument(
        "--model",
        type=_model_name,
        default=None,
        metavar="NAME",
        help="default model for requests that name none: a built-in one or an installed "
        "plug-in (`sweep models` lists them; default $SWEEP_DEFAULT_MODEL)",
    )
    parser.set_defaults(func=run)


def _model_name(text: str) -> str:
    """A model name this environment can run: built in, or an installed plug-in (issue 14).
    Checked when the option is parsed, so a typo is refused before the store is touched."""
    from serverless_sweep.models.registry import UnknownModel, model_names

    if text not in model_names():
        raise argparse.ArgumentTypeError(str(UnknownModel(text)))
    return text


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port (0-65535)")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (port 0: a free one)."""
    infos = socket.getaddrinfo(
        host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    if not infos:
        raise OSError(f"cannot resolve {host!r}")
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


BANNER_REQUEST = (
    '{"run_id": "demo-1", "model": "legacy_hash", "dimensions": {"x": [1, 2, 3]}, "shard_count": 2}'
)
"""The banner's example: legacy_hash takes any dimension name, so it is accepted whatever the
default model is (a ride_hailing request must name its real parameters), and it runs at once."""


def banner(url: str, store: Path, model: str, out: TextIO) -> None:
    print(f"sweep API (API Gateway emulator) on {url}", file=out)
    print(f"  OpenAPI document: {url}/openapi.json   Swagger UI: {url}/docs", file=out)
    print(f"  store: {store}   default model: {model}", file=out)
    print("  try:", file=out)
    print(
        f"    curl -sS -X POST {url}/sweep-run -H 'Content-Type: application/json' \\\n"
        f"         -d '{BANNER_REQUEST}'   # 202; 200 already_submitted when sent again",
        file=out,
    )
    print(f"    curl -sS {url}/sweep-run/demo-1   # its RunStatus: poll until succeeded", file=out)
    print("  Ctrl-C stops the server.", file=out, flush=True)


def run(args: argparse.Namespace) -> int:
    # Imported here: `sweep --help` must not pay for uvicorn and the handlers.
    import uvicorn

    from serverless_sweep.adapters.local.runtime import LocalRuntime, LocalSettings
    from serverless_sweep.entrypoints.local_api import create_app
    from serverless_sweep.models.registry import UnknownModel

    host: str = args.host
    if not is_loopback(host):
        print(
            f"WARNING: listening on {host}, not loopback: anyone who can reach this machine can "
            "submit sweeps and read results; the local API has NO authentication.",
            file=sys.stderr,
            flush=True,
        )
    store = (args.store if args.store is not None else store_root_from_env()).resolve()
    try:
        store.mkdir(parents=True, exist_ok=True)
        runtime = LocalRuntime(
            LocalSettings(root=store, workers=args.workers, default_model=args.model)
        )
    except UnknownModel as exc:
        print(f"sweep serve: {exc}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"sweep serve: cannot use the store {store}: {exc}", file=sys.stderr)
        return 2

    terminated: list[int] = []

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        # uvicorn handles SIGTERM while it serves and raises it again once it has stopped;
        # recording it here (instead of the default: die at once) lets the runtime shut down.
        terminated.append(signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        try:
            sock = bind(host, args.port)
        except OSError as exc:
            print(f"sweep serve: cannot listen on {host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        url = base_url(sock)
        banner(url, store, runtime.parent.config.default_model or "?", sys.stdout)
        config = uvicorn.Config(
            create_app(runtime),
            log_level="info",
            proxy_headers=False,  # requestContext.identity.sourceIp is the real peer
            timeout_graceful_shutdown=10,
            lifespan="off",
        )
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            sock.close()
    finally:
        shutdown(runtime, drop=bool(terminated))
        signal.signal(signal.SIGTERM, previous)
    return 0


def shutdown(runtime: LocalRuntime, *, drop: bool) -> None:
    """Close the runtime: wait for queued shard invocations unless told to drop them."""
    pending = runtime.invoker.stats().pending
    if pending == 0:
        runtime.close()
        return
    if drop:
        print(
            f"stopping: dropping {pending} pending shard invocation(s); "
            "`sweep redrive RUN_ID` dispatches whatever is missing",
            file=sys.stderr,
        )
        runtime.close(wait=False)
        return
    print(
        f"stopping: waiting for {pending} pending shard invocation(s) "
        "(Ctrl-C again to drop them; `sweep redrive RUN_ID` re-dispatches what is missing)",
        file=sys.stderr,
        flush=True,
    )
    try:
        runtime.close()
    except KeyboardInterrupt:
        print("stopping: dropped the pending shard invocations", file=sys.stderr)
        runtime.close(wait=False)
