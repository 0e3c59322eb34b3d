"""The API documentation page: the OpenAPI document's operations, as plain HTML.

No script and no outside asset: the page lists each operation (method, path, summary,
parameters, answers) and links the OpenAPI document itself (`/schema/openapi.json`), which
any OpenAPI viewer or client generator reads. Swagger UI needed 1.5 MB of someone else's
script, from a CDN that this page's policy had to trust, or vendored here to be kept up to
date; an interactive console is not worth that to a family's photo archive. The page's
policy allows this site's stylesheet and nothing else.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

METHODS = ("get", "put", "post", "patch", "delete")
STYLESHEET = "/static/css/app.css"


class ApiDocs(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        # At `/schema` and, as when it was Swagger UI, `/schema/swagger`: old links still work.
        super().__init__(path="/swagger")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        title = escape(f"{info.get('title', 'API')} API {info.get('version', '')}".strip())
        schema_url = escape(self.get_openapi_json_route(request))
        sections = "\n".join(
            _operation(method, path, operation)
            for path, operations in openapi_schema.get("paths", {}).items()
            if path.startswith("/api/")
            for method, operation in operations.items()
            if method in METHODS
        )
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="{STYLESHEET}">
</head>
<body>
<main class="panel api-docs">
  <h1>{title}</h1>
  <p>The machine-readable description of this API is the OpenAPI document
  <a href="{schema_url}" id="openapi-document">{schema_url}</a>; open it with any OpenAPI
  viewer or client generator. Scripts sign in with <code>POST /api/v1/auth/login</code> and
  send the token it returns as <code>Authorization: Bearer &lt;token&gt;</code>
  (<code>GET /api/v1/tokens</code> lists one's tokens, <code>DELETE /api/v1/tokens/{{id}}</code>
  revokes one); bodies are JSON (<code>Content-Type: application/json</code>), but for the
  upload's multipart form.</p>
{sections}
</main>
</body>
</html>
""".encode()


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    summary = escape(str(operation.get("summary") or operation.get("operationId") or ""))
    parameters = "".join(
        f"<li><code>{escape(str(p.get('name', '')))}</code> ({escape(str(p.get('in', '')))}"
        f"{', required' if p.get('required') else ''})</li>"
        for p in operation.get("parameters", [])
    )
    body = operation.get("requestBody", {}).get("content", {})
    answers = ", ".join(escape(str(code)) for code in operation.get("responses", {}))
    return (
        f'<section class="api-operation" id="{escape(str(operation.get("operationId", "")))}">'
        f"<h2><code>{method.upper()} {escape(path)}</code></h2><p>{summary}</p>"
        + (f"<ul>{parameters}</ul>" if parameters else "")
        + (f"<p>Body: <code>{escape(', '.join(body))}</code></p>" if body else "")
        + (f"<p>Answers: {answers}</p>" if answers else "")
        + "</section>"
    )


def docs_policy() -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'none'",
        ]
    )
