"""uvicorn's floor for one answer: a bare ASGI app that sends recorded headers and bytes.

`python bench/floor.py ANSWER.json PORT` serves, on 127.0.0.1:PORT and with the settings of
`photoarchive serve` (httptools, uvloop when present, no access log, no Server header), the
status, headers and body recorded in ANSWER.json, to every request. bench/serve.py records the
app's thumbnail answer and loads this server with it, so the table shows what the HTTP server
alone costs for exactly that answer: the most any application on it could reach.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import uvicorn


def make_app(answer: dict[str, Any]) -> Any:
    start = {
        "type": "http.response.start",
        "status": answer["status"],
        "headers": [(name.encode(), value.encode()) for name, value in answer["headers"]],
    }
    body = {"type": "http.response.body", "body": bytes.fromhex(answer["body"])}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send(start)
            await send(body)

    return app


def main() -> None:
    answer = json.loads(Path(sys.argv[1]).read_text())
    uvicorn.run(
        make_app(answer),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        http="httptools",
        loop="auto",
        lifespan="off",
        server_header=False,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
