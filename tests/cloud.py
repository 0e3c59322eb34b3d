"""S3 and Cognito stand-ins for tests: `moto_server` and `rclone serve s3`, started as child
processes on free 127.0.0.1 ports and stopped at the end of the session.

moto serves S3 and Cognito's user-pool API (and the pool's JWKS) on one port; it does not check
S3 credentials and accepts any confirmation code. rclone serves a folder as S3 and checks
request signatures, but answers Range requests with the whole object.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import PASSWORD, LiveServer, form_post

BIN = Path(sys.executable).parent
REGION = "us-east-1"
COGNITO_REGION = "eu-west-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on 127.0.0.1:`port` (from /proc/net/tcp, state 0A = LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and address == f"0100007F:{port:04X}":
            found.add(inode)
    return found


def _owns_listener(pid: int, port: int) -> bool:
    """Whether process `pid` itself holds the socket listening on `port` (not someone else who
    took the port first)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


@contextmanager
def child_process(
    make_args: Callable[[int], list[str]], log: Path, *, tries: int = 3
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run `make_args(port)` on a free port until the block ends; ready once that process
    itself listens there. A port taken by someone else in between is tried again elsewhere."""
    for attempt in range(1, tries + 1):
        port = free_port()
        args = make_args(port)
        with open(log, "wb") as out:
            process = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            deadline = time.monotonic() + 60  # bounds a hang; the wait is for the listener
            while not _owns_listener(process.pid, port):
                if process.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{args[0]} did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
            else:
                yield process, port
                return
            if attempt == tries:
                raise RuntimeError(f"{args[0]} exited: {log.read_text()[-2000:]}")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


@dataclass
class S3Server:
    name: str
    endpoint: str
    access_key: str
    secret_key: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def new_bucket(self) -> str:
        bucket = f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return sorted(
            item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", [])
        )

    def settings(self, bucket: str, **overrides: Any) -> dict[str, Any]:
        """The Settings fields that put an app's photos into `bucket` here."""
        values = {
            "storage": "s3",
            "s3_bucket": bucket,
            "s3_prefix": "archive/",
            "s3_endpoint": self.endpoint,
            "s3_region": REGION,
            "s3_access_key_id": self.access_key,
            "s3_secret_access_key": self.secret_key,
        }
        values.update(overrides)
        return values


@contextmanager
def moto_process(workdir: Path) -> Iterator[S3Server]:
    def args(port: int) -> list[str]:
        return [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]

    with child_process(args, workdir / "moto.log") as (_process, port):
        yield S3Server("moto", f"http://127.0.0.1:{port}", "moto-key", "moto-secret")


@contextmanager
def rclone_process(workdir: Path) -> Iterator[S3Server]:
    key, secret = "rclone-key", "rclone-secret-" + uuid.uuid4().hex

    def args(port: int) -> list[str]:
        root = workdir / f"rclone-root-{port}"
        root.mkdir()
        return [
            str(BIN / "rclone"),
            "serve",
            "s3",
            "--addr",
            f"127.0.0.1:{port}",
            "--auth-key",
            f"{key},{secret}",
            "--config",
            os.devnull,
            "--cache-dir",
            str(workdir / "rclone-cache"),
            str(root),
        ]

    with child_process(args, workdir / "rclone.log") as (_process, port):
        yield S3Server("rclone", f"http://127.0.0.1:{port}", key, secret)


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with moto_process(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="session")
def rclone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with rclone_process(tmp_path_factory.mktemp("rclone")) as server:
        yield server


# --- Cognito --------------------------------------------------------------------------------


@dataclass
class Pool:
    endpoint: str
    pool_id: str
    client_id: str
    client_secret: str = ""

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def idp(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=COGNITO_REGION,
            aws_access_key_id="moto-key",
            aws_secret_access_key="moto-secret",
        )

    def settings(self, **overrides: Any) -> dict[str, Any]:
        values = {
            "auth": "cognito",
            "cognito_region": COGNITO_REGION,
            "cognito_user_pool_id": self.pool_id,
            "cognito_client_id": self.client_id,
            "cognito_client_secret": self.client_secret,
            "cognito_endpoint": self.endpoint,
            "cognito_jwks_url": self.jwks_url,
        }
        values.update(overrides)
        return values

    def emails(self) -> list[str]:
        found = self.idp().list_users(UserPoolId=self.pool_id)["Users"]
        return sorted(
            attr["Value"]
            for user in found
            for attr in user["Attributes"]
            if attr["Name"] == "email"
        )


def make_pool(moto: S3Server, *, secret: bool = False, strict: bool = False) -> Pool:
    """A user pool set up as the docs ask: email sign-in, preferred_username readable, an app
    client allowed USER_PASSWORD_AUTH and refresh tokens."""
    idp = Pool(moto.endpoint, "", "").idp()
    policy = {
        "MinimumLength": 8,
        "RequireUppercase": strict,
        "RequireLowercase": strict,
        "RequireNumbers": strict,
        "RequireSymbols": strict,
    }
    pool = idp.create_user_pool(
        PoolName=f"photoarchive-{uuid.uuid4().hex[:8]}",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": policy},
    )["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="photoarchive",
        GenerateSecret=secret,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "email_verified", "preferred_username"],
    )["UserPoolClient"]
    return Pool(moto.endpoint, pool["Id"], client["ClientId"], client.get("ClientSecret", ""))


def cognito_sign_up(server: LiveServer, username: str, password: str = PASSWORD) -> httpx.Client:
    """Sign up through the pages, enter the emailed code (moto takes any), then sign in."""
    client = server.client()
    data = {"username": username, "email": f"{username}@example.org", "password": password}
    signed = form_post(client, "/signup", data)
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == f"/confirm?username={username}"
    assert not client.cookies.get("session")
    confirmed = form_post(client, "/confirm", {"username": username, "code": "123456"})
    assert confirmed.status_code == 303, confirmed.text
    assert confirmed.headers["location"] == "/login?notice=confirmed"
    entered = form_post(client, "/login", {"login": username, "password": password})
    assert entered.status_code == 303, entered.text
    assert client.cookies.get("session")
    return client


# --- signing keys of our own --------------------------------------------------------------


class Key:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**data, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, claims: dict[str, Any], kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": kid or self.kid})


class JwksServer:
    """Serves {"keys": [...]} at /jwks.json and counts the fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        self.failing = False  # answer 503, as a provider's endpoint that is down
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                if outer.failing:
                    self.send_error(503)
                    return
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
