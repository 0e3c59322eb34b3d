"""The API documentation page (Swagger UI) without inline script.

Swagger UI comes from a CDN, pinned by version and by Subresource Integrity hashes, and is
started by a script served from this site, so the page's policy allows no inline script.
Only this page's policy names the CDN; every other page keeps scripts to this site alone.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router

SWAGGER_VERSION = "5.18.2"
CDN = "https://cdn.jsdelivr.net"
_DIST = f"{CDN}/npm/swagger-ui-dist@{SWAGGER_VERSION}"
# sha384 of the files in the swagger-ui-dist 5.18.2 npm package, which the CDN serves as is.
ASSETS = {
    "css": (
        f"{_DIST}/swagger-ui.css",
        "sha384-rcbEi6xgdPk0iWkAQzT2F3FeBJXdG+ydrawGlfHAFIZG7wU6aKbQaRewysYpmrlW",
    ),
    "bundle": (
        f"{_DIST}/swagger-ui-bundle.js",
        "sha384-NXtFPpN61oWCuN4D42K6Zd5Rt2+uxeIT36R7kpXBuY9tLnZorzrJ4ykpqwJfgjpZ",
    ),
    "preset": (
        f"{_DIST}/swagger-ui-standalone-preset.js",
        "sha384-qr68CD0cvHa88PmVu7e1a58Ego4qvKtcvcLdS2a8Mo5zILI01gyIV9jVwJk7X2NU",
    ),
}
STARTER = "/static/js/api-docs.js"


class SwaggerDocs(SwaggerRenderPlugin):
    def __init__(self) -> None:
        super().__init__(version=SWAGGER_VERSION, path="/swagger", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        css, css_hash = ASSETS["css"]
        bundle, bundle_hash = ASSETS["bundle"]
        preset, preset_hash = ASSETS["preset"]
        title = escape(str(openapi_schema["info"]["title"]))
        schema_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  <link rel="stylesheet" href="{css}" integrity="{css_hash}" crossorigin="anonymous">
  <script src="{bundle}" integrity="{bundle_hash}" crossorigin="anonymous" defer></script>
  <script src="{preset}" integrity="{preset_hash}" crossorigin="anonymous" defer></script>
  <script src="{STARTER}" defer></script>
</head>
<body>
  <div id="swagger-container" data-openapi-url="{schema_url}"></div>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """No OAuth2 redirect page: the API uses Bearer tokens, and that page is inline script."""
        return


def docs_policy() -> str:
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {CDN}",
            f"style-src 'self' {CDN}",
            f"img-src 'self' data: {CDN}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]
    )
