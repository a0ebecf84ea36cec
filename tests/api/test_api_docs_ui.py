"""Swagger UI at /docs (issue 12), offline: the page and every file it loads come from the
server (assets of the pinned swagger-ui-py package), nothing from a CDN, and the bundle is a
Swagger UI that reads OpenAPI 3.1 (5.x)."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from serverless_sweep.entrypoints import docs_ui
from tests.api.api_helpers import ServeProcess


def answer(name: str | None = None) -> tuple[int, str, bytes]:
    response = docs_ui.docs_response(name)
    return response.status, response.headers["Content-Type"], response.body


def referenced(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


def test_the_page_loads_only_files_of_this_server() -> None:
    status, media_type, content = answer()
    assert status == 200 and media_type.startswith("text/html")
    page = content.decode()
    assert "http://" not in page and "https://" not in page  # no CDN, no external host
    links = referenced(page)
    assert links and all(link.startswith("/docs/") for link in links)
    for link in links:
        status, media_type, body = answer(link.removeprefix("/docs/"))
        assert status == 200 and body, link
        expected = docs_ui.ASSETS.get(link.removeprefix("/docs/"), "text/javascript")
        assert media_type.split(";")[0] == expected.split(";")[0], link


def test_the_initializer_reads_this_servers_document_and_no_online_validator() -> None:
    status, _, content = answer(docs_ui.INITIALIZER)
    script = content.decode()
    assert status == 200 and 'url: "/openapi.json"' in script
    assert "validatorUrl: null" in script and "petstore" not in script


def test_the_assets_are_the_packages_swagger_ui_5() -> None:
    assert int(version("swagger-ui-py").split(".")[0]) >= 25
    _, _, bundle = answer("swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle
    assert (docs_ui.assets_dir() / "swagger-ui-bundle.js").read_bytes() == bundle
    versions = {int(v) for v in re.findall(rb'"(\d+)\.\d+\.\d+"', bundle[:2_000_000])}
    assert 5 in versions  # Swagger UI 5: OpenAPI 3.1 support
    status, media_type, icon = answer("favicon-32x32.png")
    assert status == 200 and media_type == "image/png" and icon.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "name", ["nope.js", "../__init__.py", "LICENSE", "swagger-editor-bundle.js", ""]
)
def test_any_other_name_is_a_404_error_response(name: str) -> None:
    response = docs_ui.docs_response(name)
    assert response.status == 404
    body = json.loads(response.body)
    assert body["error"] == "not_found" and "swagger-ui.css" in body["message"]


def test_sweep_serve_serves_the_page_and_its_files_over_http(tmp_path: Path) -> None:
    with ServeProcess(store=tmp_path / "store", workers=1) as server:
        page = httpx.get(f"{server.url}/docs", timeout=30)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for link in referenced(page.text):
            fetched = httpx.get(f"{server.url}{link}", timeout=30)
            assert fetched.status_code == 200 and fetched.content, link
        icon = httpx.get(f"{server.url}/docs/favicon-16x16.png", timeout=30)
        assert icon.headers["content-type"] == "image/png" and icon.content.startswith(b"\x89PNG")
        missing = httpx.get(f"{server.url}/docs/nope.js", timeout=30)
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
