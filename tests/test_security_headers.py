"""Security headers on every kind of response, and pages that work under the policy."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from PIL import Image

from photoarchive.web.security import content_security_policy, media_origins
from tests.cloud import S3Server
from tests.support import (
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload_bytes,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def policy(response: httpx.Response) -> dict[str, list[str]]:
    header = response.headers.get("content-security-policy")
    assert header, f"{response.request.url} has no Content-Security-Policy"
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in directives, f"{name} appears twice"
        directives[name] = values
    return directives


def small_jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def assert_page_policy(response: httpx.Response) -> None:
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in csp.values() for value in values)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # plain http public URL


def test_every_kind_of_response_carries_the_headers(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    photo = upload_bytes(alice, "red.jpg", small_jpeg()).json()["items"][0]
    guest = server.client()
    responses = {
        "page": alice.get("/"),
        "redirect": guest.get("/"),
        "login page": guest.get("/login"),
        "json": alice.get("/api/v1/me"),
        "json error": guest.get("/api/v1/me"),
        "unknown path": guest.get("/no/such/page"),
        "unknown api path": guest.get("/api/v1/nothing"),
        "method not allowed": alice.get("/logout"),
        "csrf refusal": alice.post("/logout"),
        "static file": guest.get("/static/css/app.css"),
        "health": guest.get("/healthz"),
        "rendition": alice.get(photo["urls"]["thumbnail"]),
        "schema json": guest.get("/schema/openapi.json"),
    }
    expected = {
        "page": 200,
        "redirect": 303,
        "login page": 200,
        "json": 200,
        "json error": 401,
        "unknown path": 404,
        "unknown api path": 404,
        "method not allowed": 405,
        "csrf refusal": 403,
        "static file": 200,
        "health": 200,
        "rendition": 200,
        "schema json": 200,
    }
    for name, response in responses.items():
        assert response.status_code == expected[name], (name, response.text[:200])
        assert_page_policy(response)


def test_pages_with_a_secret_in_their_address_send_only_the_origin_as_referer(
    server: LiveServer,
) -> None:
    """A reset link's page and an invitation's sign-up page ask for the site's files and post
    their forms with `Referer` cut to the origin: the token stays out of every log."""
    guest = server.client()
    for path in ("/password-reset/" + "x" * 40, "/signup?invite=" + "y" * 40, "/signup"):
        answer = guest.get(path)
        assert answer.headers["referrer-policy"] == "strict-origin", path
    for path in ("/", "/login", "/static/css/app.css"):
        assert guest.get(path).headers["referrer-policy"] == "same-origin", path


def test_original_keeps_its_sandbox_policy_and_is_an_attachment(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    photo = upload_bytes(alice, "red.jpg", small_jpeg()).json()["items"][0]
    original = alice.get(photo["urls"]["original"])
    assert original.status_code == 200
    assert original.headers.get_list("content-security-policy") == ["sandbox"]
    assert original.headers["content-disposition"].startswith("attachment;")
    assert original.headers["x-content-type-options"] == "nosniff"
    assert original.headers["referrer-policy"] == "same-origin"


def test_hsts_only_when_the_public_url_is_https(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_url="https://photos.example.org")
    with live_server(settings) as server:
        client = server.client()
        for path in ("/login", "/api/v1/me", "/static/css/app.css", "/nowhere"):
            response = client.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000", path


def test_pages_need_no_inline_script_or_style(server: LiveServer) -> None:
    """The policy forbids inline code, so no page may depend on it."""
    alice = sign_up(server, "alice")
    photo = upload_bytes(alice, "red.jpg", small_jpeg(), caption="hello").json()["items"][0]
    alice.post(
        f"/api/v1/photos/{photo['id']}/comments",
        json={"text": "nice"},
        headers={"x-csrftoken": csrf(alice)},
    )
    guest = server.client()
    pages = [
        alice.get("/"),
        alice.get(f"/photos/{photo['id']}"),
        alice.get("/u/alice"),
        alice.get("/upload"),
        alice.get("/admin"),
        alice.get("/settings"),
        guest.get("/login"),
        guest.get("/signup"),
        guest.get("/nowhere"),
    ]
    for response in pages:
        expected = 404 if response.request.url.path == "/nowhere" else 200
        assert response.status_code == expected, response.request.url
        page = parse(response.text)
        scripts = page.find_all("script")
        assert scripts, "the pages load their scripts from /static"
        for attrs in scripts:
            assert (attrs.get("src") or "").startswith("/static/"), (response.request.url, attrs)
        for tag, attrs in page.elements:
            assert tag != "style", response.request.url
            assert "style" not in attrs, (response.request.url, tag, attrs)
            handlers = [name for name in attrs if name.startswith("on")]
            assert not handlers, (response.request.url, tag, handlers)
            for name in ("href", "src", "action", "formaction"):
                assert not (attrs.get(name) or "").lower().startswith("javascript:")


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(server: LiveServer) -> None:
    answer = server.client().get("/login", follow_redirects=True)  # /signup on a fresh install
    assert answer.status_code == 200
    page = parse(answer.text)
    config = next(m for m in page.find_all("meta") if m.get("name") == "htmx-config")
    settings = json.loads(config["content"] or "{}")
    assert settings["includeIndicatorStyles"] is False
    assert settings["allowEval"] is False
    assert settings["allowScriptTags"] is False


def test_api_docs_page_has_its_own_policy_and_no_script(server: LiveServer) -> None:
    client = server.client()
    for path in ("/schema", "/schema/swagger"):
        response = client.get(path)
        assert response.status_code == 200
        csp = policy(response)
        assert csp["default-src"] == ["'none'"]
        assert "script-src" not in csp  # default-src 'none': no script at all
        assert csp["style-src"] == ["'self'"]
        sources = [value for values in csp.values() for value in values]
        assert not [value for value in sources if "://" in value or value.endswith(":")]
        assert not any("unsafe" in value for value in sources)
        assert csp["frame-ancestors"] == ["'none'"]
        page = parse(response.text)
        assert page.find_all("script") == []
        for tag, attrs in page.elements:
            for name in ("href", "src"):
                assert (attrs.get(name) or "/").startswith("/"), (tag, attrs)
        link = page.find_all("a", id="openapi-document")[0]
        assert link["href"] == "/schema/openapi.json"
        assert "POST /api/v1/photos" in page.text
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Photoarchive"
    # The OAuth2 redirect page (inline script, no use with Bearer tokens) is not served.
    assert client.get("/schema/oauth2-redirect.html").status_code == 404


@pytest.mark.parametrize("kind", ["cookie", "bearer"])
def test_headers_on_api_writes(server: LiveServer, kind: str) -> None:
    alice = sign_up(server, "alice")
    client = api_login(server, "alice") if kind == "bearer" else alice
    headers = {} if kind == "bearer" else {"x-csrftoken": csrf(alice)}
    response = client.post("/api/v1/photos/999/comments", json={"text": "x"}, headers=headers)
    assert response.status_code == 404
    assert_page_policy(response)


def test_presigned_photos_add_exactly_the_bucket_origin(moto: S3Server, tmp_path: Path) -> None:
    """With presigned serving, pictures come from the store: its origin (and only it) joins
    img-src, and the redirects the pages' <img> follow really go there."""
    bucket = moto.new_bucket()
    settings = make_settings(tmp_path / "data", **moto.settings(bucket, s3_serve="presign"))
    with live_server(settings) as server:
        alice = sign_up(server, "alice")
        photo = upload_bytes(alice, "red.jpg", small_jpeg()).json()["items"][0]
        csp = policy(alice.get("/"))
        assert csp["img-src"] == ["'self'", "data:", moto.endpoint]
        assert csp["script-src"] == ["'self'"] and csp["connect-src"] == ["'self'"]
        redirect = alice.get(photo["urls"]["thumbnail"])
        assert redirect.status_code == 302
        assert redirect.headers["location"].startswith(moto.endpoint + "/")
    proxied = make_settings(tmp_path / "other", **moto.settings(bucket, s3_serve="proxy"))
    assert content_security_policy(proxied) == content_security_policy(make_settings(tmp_path))


@pytest.mark.parametrize(
    ("region", "endpoint", "path_style"),
    [
        ("us-east-1", "", False),
        ("eu-west-3", "", False),
        ("eu-west-3", "", True),
        ("us-east-1", "https://minio.example.org:9000", True),
        ("us-east-1", "https://minio.example.org:9000", False),
    ],
)
def test_media_origin_matches_the_url_the_s3_client_signs(
    tmp_path: Path, region: str, endpoint: str, path_style: bool
) -> None:
    """The origin worked out from settings is where boto's presigned URLs point (signing
    happens locally: no request is made)."""
    settings = make_settings(
        tmp_path,
        storage="s3",
        s3_serve="presign",
        s3_bucket="family-photos",
        s3_region=region,
        s3_endpoint=endpoint,
        s3_path_style=path_style,
    )
    client = boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint or None,
        aws_access_key_id="key",
        aws_secret_access_key="secret",
        config=Config(
            signature_version="s3v4", s3={"addressing_style": "path" if path_style else "virtual"}
        ),
    )
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "family-photos", "Key": "previews/ab/cd/x.webp"}
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" in media_origins(settings)
    assert f"{parts.scheme}://{parts.netloc}" in content_security_policy(settings)
