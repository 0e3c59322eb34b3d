"""Schemathesis against the app's own OpenAPI document: no generated request may get a 5xx.

A live server and a signed-in Bearer token; every operation in /schema/openapi.json (the
JSON API and the pages the document lists) through Schemathesis' examples, coverage
(boundary and invalid values) and fuzzing phases, a bounded number of cases each, with the
same engine the `schemathesis run` command uses. Its pytest plugin is not used: it does not
work with the pytest this project runs.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import schemathesis
from PIL import Image
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from tests.support import api_login, live_server, make_settings, sign_up

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

MAX_EXAMPLES = 12
# Requests that would end the very token the run signs its requests with.
# Sign-outs end the very token the run uses (every later case would only meet 401).
EXCLUDED_PATHS = (
    "/api/v1/auth/logout",
    "/logout",
    "/settings/sessions/{session_id}/end",
    "/api/v1/tokens/{token_id}",
)


def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    # Generated sign-ins with wrong passwords must not lock the account the run uses.
    settings = make_settings(tmp_path / "data", login_max_failures=1_000_000)
    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        alice = api_login(server, "alice")
        buffer = io.BytesIO()
        Image.new("RGB", (32, 24), (10, 200, 90)).save(buffer, "JPEG")
        photo = alice.post("/api/v1/photos", files=[("file", ("a.jpg", buffer.getvalue()))])
        assert photo.status_code == 201
        photo_id = photo.json()["items"][0]["id"]
        alice.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "first"})

        config = SchemathesisConfig.from_dict(
            {
                "headers": {"Authorization": alice.headers["Authorization"]},
                # Schemathesis gives up on a request after 10 s by default, which a loaded
                # machine can reach; this bounds a hang, speed is not what is tested here.
                "request-timeout": 60,
                "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
                "phases": {"stateful": {"enabled": False}},
                "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            }
        )
        schema = schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json", config=config)
        for path in EXCLUDED_PATHS:
            schema = schema.exclude(path=path)

        failures: list[str] = []
        errors: list[str] = []
        operations: set[str] = set()
        cases = 0
        finished = None
        for event in schemathesis.engine.from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                cases += len(event.recorder.cases)
                if event.label:
                    operations.add(event.label)
                for case_id, checks in event.recorder.checks.items():
                    for check in checks:
                        if check.failure_info is not None:
                            case = event.recorder.cases[case_id].value
                            failures.append(
                                f"{event.phase}: {case.method} {case.formatted_path} "
                                f"query={case.query} body={str(case.body)[:200]}: "
                                f"{check.failure_info.failure.title}"
                            )
            elif isinstance(event, events.NonFatalError):
                errors.append(str(event.info.message))
            elif isinstance(event, events.EngineFinished):
                finished = event

    assert finished is not None and finished.stop_reason == "completed"
    assert not errors, errors
    assert not failures, "\n".join(failures)
    # The run really exercised the API, not an empty document.
    assert {"PATCH /api/v1/photos/{photo_id}", "POST /api/v1/auth/login"} <= operations
    assert cases > 300, cases
