"""One moto server on loopback for a test module or session (S3, Lambda, STS, ...).

Shared by tests/aws, tests/faults and tests/infra so each suite starts its AWS stand-in the same
way: an ephemeral port on 127.0.0.1 (never a real AWS endpoint), werkzeug's per-request INFO
logging silenced (thousands of lines would only slow the tests down), stopped on exit.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start a ThreadedMotoServer on 127.0.0.1:<free port>; yield its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
