"""deploy/compose.yaml read as compose reads it (YAML, `${VAR:-default}` filled in): the one-box
services as they were, and the `postgres` profile a working whole: replicas that share one
PostgreSQL and one bucket, a proxy that knows every replica, and nothing dangling."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import yaml

from photoarchive.cli import build_parser
from photoarchive.database_url import parse_database_url
from tests.support import REPO

COMPOSE = REPO / "deploy" / "compose.yaml"
_VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")


def _filled(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation, enough for this file: a variable, else its default."""
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: env.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, dict):
        return {key: _filled(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_filled(item, env) for item in value]
    return value


def _services(env: dict[str, str] | None = None) -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    return dict(_filled(loaded, env or {})["services"])


def _profile(name: str) -> dict[str, Any]:
    return {k: v for k, v in _services().items() if name in v.get("profiles", [])}


def test_nothing_dangles() -> None:
    loaded = yaml.safe_load(COMPOSE.read_text())
    services = loaded["services"]
    for name, service in services.items():
        for needed in service.get("depends_on", []):
            assert needed in services, f"{name} depends on unknown {needed}"
        for mount in service.get("volumes", []):
            volume = mount.split(":")[0]
            assert volume in loaded["volumes"], f"{name} mounts undeclared {volume}"


def test_the_one_box_services_start_without_a_profile() -> None:
    default = {k for k, v in _services().items() if not v.get("profiles")}
    assert default == {"photoarchive", "minio", "minio-init"}
    single = _services()["photoarchive"]
    assert "PHOTOARCHIVE_DATABASE_URL" not in single["environment"]  # SQLite on its volume


def test_the_postgres_profile_shares_one_database_and_one_bucket() -> None:
    env = {"POSTGRES_PASSWORD": "Sw0rdfish", "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY": "k"}
    services = _services(env)
    profile = _profile("postgres")
    replicas = sorted(n for n, s in profile.items() if s["image"].endswith("photoarchive:latest"))
    assert len(replicas) >= 2 and set(profile) == {"postgres", "proxy", *replicas}

    database = services["postgres"]["environment"]
    storage = {k: v for k, v in services["photoarchive"]["environment"].items() if "_S3_" in k}
    for name in replicas:
        replica = services[name]
        url = replica["environment"]["PHOTOARCHIVE_DATABASE_URL"]
        parts = urlsplit(parse_database_url(url))
        assert (parts.hostname, parts.port, parts.path) == ("postgres", 5432, "/photoarchive")
        assert (parts.username, parts.password) == (database["POSTGRES_USER"], "Sw0rdfish")
        # Started after the database (directly, or after a replica that waited for it).
        assert "postgres" in replica["depends_on"] or "photoarchive-1" in replica["depends_on"]
        assert replica["environment"]["PHOTOARCHIVE_STORAGE"] == "s3"
        assert {k: replica["environment"][k] for k in storage} == storage  # the same bucket
        # One key for all: from .env, else made once in the /data they share.
        assert "PHOTOARCHIVE_SECRET_KEY" in replica["environment"]
        assert replica["volumes"] == services[replicas[0]]["volumes"]
        assert replica["healthcheck"]["test"] == ["CMD", "photoarchive", "healthcheck"]

    proxy = services["proxy"]
    caddyfile = proxy["entrypoint"][-1]
    assert all(f"{name}:8000" in caddyfile for name in replicas)
    assert "health_uri /healthz" in caddyfile
    # The client's address reaches the login throttle through both proxies.
    assert "trusted_proxies static private_ranges" in caddyfile
    for name in replicas:
        trusted = services[name]["environment"]["PHOTOARCHIVE_TRUSTED_PROXIES"].split(",")
        assert "172.16.0.0/12" in trusted and "10.0.0.0/8" in trusted
    # Where the single service listened: the proxy takes its place.
    assert proxy["ports"] == services["photoarchive"]["ports"]


def test_the_copy_command_in_the_comments_is_one_the_cli_takes() -> None:
    header = "".join(
        line.lstrip("# ").rstrip("\\\n") + " "
        for line in COMPOSE.read_text().splitlines(keepends=True)
        if line.startswith("#")
    )
    command = re.search(r"photoarchive db copy (--to \"[^\"]+\")", " ".join(header.split()))
    assert command is not None
    url = command.group(1).split('"')[1].replace("$POSTGRES_PASSWORD", "pw")
    args = build_parser().parse_args(["db", "copy", "--to", url])
    assert args.to == parse_database_url(url)
