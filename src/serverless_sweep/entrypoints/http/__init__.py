"""The API's one HTTP edge, shared by the parent Lambda and `sweep serve` (no boto3).

* `routes`: the framework-neutral `Request` / `Response`, the route table `ROUTER` (method +
  path template -> route function) and `resolve`, which routes a request, runs its function,
  renders its typed result and maps its exception;
* `errors`: the one exception -> ErrorResponse mapping;
* `results`: typed handler results -> responses (the renderers);
* `proxy`: API Gateway's Lambda-proxy events and responses <-> `Request` / `Response`.
"""

from serverless_sweep.entrypoints.http import errors, results
from serverless_sweep.entrypoints.http.routes import (
    ROUTER,
    Api,
    Request,
    Response,
    Route,
    Router,
    render,
    render_as,
    resolve,
    respond,
)

__all__ = [
    "ROUTER",
    "Api",
    "Request",
    "Response",
    "Route",
    "Router",
    "errors",
    "render",
    "render_as",
    "resolve",
    "respond",
    "results",
]
