"""Bad arguments to `photoarchive` are refused by name, with exit status 2, before anything
runs: never a server on another port than the one announced, nor a grace of no meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import run_cli


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1"])
def test_serve_refuses_a_port_that_does_not_exist(tmp_path: Path, port: str) -> None:
    # 99999 was taken modulo 65536: the server listened on 34463 and said 99999.
    refused = run_cli(tmp_path / "data", "serve", f"--port={port}", timeout=30)
    assert refused.returncode == 2, refused.stderr
    assert "argument --port: must be a port number from 1 to 65535" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "data").exists()  # refused before an archive was made


def test_verify_refuses_a_grace_that_is_not_a_number(tmp_path: Path) -> None:
    # NaN compares false with every age, so --repair would delete what an upload still uses.
    refused = run_cli(tmp_path, "verify", "--repair", "--grace", "nan")
    assert refused.returncode == 2
    assert "argument --grace: not a number of seconds: 'nan'" in refused.stderr
