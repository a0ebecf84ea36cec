"""One moto server on loopback for a test module or session (S3, Lambda, STS, ...).

Shared by tests/aws, tests/faults and tests/infra so each suite starts its AWS stand-in the same
way: an ephemeral port on 127.0.0.1 (never a real AWS endpoint), werkzeug's per-request INFO
logging silenced (thousands of lines would only slow the tests down), stopped on exit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

#: moto's configuration for a machine without Docker: Lambda invokes answer without running code.
LAMBDA_WITHOUT_DOCKER: Mapping[str, Any] = {"lambda": {"use_docker": False}}


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


def moto_config(url: str, config: Mapping[str, Any] = LAMBDA_WITHOUT_DOCKER) -> None:
    """POST `config` to the moto server's /moto-api/config (process-wide for that server).

    The default switches Lambda to the Docker-free backend; `{"lambda": {"use_docker": True}}`
    switches it back. Raises AssertionError unless moto accepts it.
    """
    request = urllib.request.Request(
        f"{url}/moto-api/config",
        data=json.dumps(config).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), f"moto refused its config: {response.status}"
