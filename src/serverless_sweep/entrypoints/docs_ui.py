"""Swagger UI for `sweep serve` (`GET /docs`), offline: its assets come from a pip package.

The page and its initializer are ours; the Swagger UI bundle, stylesheet and icons are the
files the `swagger-ui-py` package ships (the `local` extra pins it), read from its folder
without importing it (its Python side imports web frameworks and YAML, which the API needs
none of). Nothing is loaded from a CDN: the page references only `/docs/...` and
`/openapi.json` on the server it came from, so it works on a machine without internet access
and leaks nothing about what a user looks at.

Swagger UI 5 is needed for OpenAPI 3.1 documents (the 4.x of `swagger-ui-bundle` shows "does
not specify a valid version field"); `swagger-ui-py` 25.x ships 5.x.

Routes: `GET /docs` (the page), `GET /docs/{asset}` (ASSETS only; anything else is a 404).
The deployed API does not serve them (like `/openapi.json`, they are local only).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from serverless_sweep.entrypoints.http.routes import Response

PACKAGE: Final = "swagger_ui"
"""The import name of `swagger-ui-py`; its assets are in `<package>/static/`."""

ASSETS: Final[dict[str, str]] = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "index.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
"""The files of the package the page needs, with their media types."""

INITIALIZER: Final = "swagger-initializer.js"
"""Ours, not the package's (whose initializer points at the petstore on the internet)."""

PAGE: Final = """\
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>serverless-sweep API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="stylesheet" href="/docs/index.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script src="/docs/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"""

INITIALIZER_JS: Final = """\
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    validatorUrl: null
  });
};
"""
"""`validatorUrl: null`: Swagger UI would otherwise send the document to an online validator."""


class DocsUnavailable(RuntimeError):
    """The Swagger UI package is not installed (the `local` extra has it)."""


@cache
def assets_dir() -> Path:
    """The folder of the package's static files (DocsUnavailable when it is not installed)."""
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without running it
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        static = Path(location) / "static"
        if (static / "swagger-ui-bundle.js").is_file():
            return static
    raise DocsUnavailable(
        "Swagger UI is not installed: pip install 'serverless-sweep[local]' (swagger-ui-py)"
    )


@dataclass(frozen=True, slots=True)
class Asset:
    """A file to answer with: bytes and media type."""

    content: bytes
    media_type: str


def page() -> Asset:
    return Asset(PAGE.encode("utf-8"), "text/html; charset=utf-8")


def asset(name: str) -> Asset | None:
    """A file of the page by its name under /docs/, or None when there is no such file."""
    if name == INITIALIZER:
        return Asset(INITIALIZER_JS.encode("utf-8"), ASSETS["swagger-ui-bundle.js"])
    media_type = ASSETS.get(name)
    if media_type is None:
        return None
    return Asset((assets_dir() / name).read_bytes(), media_type)


def docs_response(name: str | None = None) -> Response:
    """GET /docs (name None) or GET /docs/{name}: the answer."""
    from serverless_sweep.entrypoints.http.errors import error

    try:
        found = page() if name is None else asset(name)
    except DocsUnavailable as exc:
        return error(500, "misconfiguration", str(exc))
    if found is None:
        known = ", ".join(sorted([*ASSETS, INITIALIZER]))
        return error(404, "not_found", f"No file {name!r} under /docs/; files: {known}")
    headers = {
        "Content-Type": found.media_type,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(200, found.content, headers)
