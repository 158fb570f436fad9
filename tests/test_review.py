"""``python -m dezky_infra review``: the preview runs with DOCKER_HOST on the ping-only stand-in.

The pulumi here is a fake that pings ``DOCKER_HOST`` the way pulumi-docker's Configure does and
records its arguments; the real engine runs the command in tests/engine/test_verify.py. That the
stand-in satisfies Docker's own Go client is tests/docker/test_review_daemon.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dezky_infra.cli import review

FAKE_PULUMI = """#!{python}
import http.client, json, os, socket, sys
path = os.environ["DOCKER_HOST"].removeprefix("unix://")
class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
conn = Unix("docker")
conn.request("HEAD", "/_ping")
ping = conn.getresponse(); ping.read()
conn.request("GET", "/v1.44/containers/json")
listing = conn.getresponse()
json.dump({{"argv": sys.argv[1:], "socket": path, "api_version": ping.getheader("API-Version"),
           "list_status": listing.status, "list": json.loads(listing.read())}}, open({record!r}, "w"))
sys.exit(3)
"""


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    record = tmp_path / "record.json"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(FAKE_PULUMI.format(python=sys.executable, record=str(record)))
    (bin_dir / "pulumi").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("PULUMI_BACKEND_URL", (tmp_path / "state").as_uri())
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    return record


def test_the_preview_pings_the_stand_in_and_gets_its_exit_status(fake_pulumi: Path, tmp_path: Path) -> None:
    status = review.main(["--stack", "dev", "--cwd", str(tmp_path), "--policy-pack", "policy"])
    assert status == 3  # pulumi's own
    seen = json.loads(fake_pulumi.read_text())
    assert seen["argv"] == [
        "preview",
        "--diff",
        "--refresh=false",
        "--non-interactive",
        "--stack",
        "dev",
        "--policy-pack",
        "policy",
    ]
    assert seen["api_version"] == "1.44"
    assert seen["list_status"] == 501
    assert "needs a real Docker daemon" in seen["list"]["message"]
    assert not Path(seen["socket"]).exists()  # the stand-in is gone with the command


@pytest.mark.parametrize("flag", ["--refresh", "--refresh=true", "-r"])
def test_refresh_is_refused_in_one_line(
    fake_pulumi: Path, tmp_path: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review.main(["--stack", "dev", "--cwd", str(tmp_path), flag]) == 2
    assert capsys.readouterr().err == (
        "review: error: --refresh reads the containers and needs a real Docker daemon\n"
    )
    assert not fake_pulumi.exists()
