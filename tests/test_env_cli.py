"""Tests of ``python -m dezky_infra env`` (dezky_infra.cli.env) with stack outputs given as a dict.

Reading real outputs from pulumi is covered by the real-engine tests; here the reading function is
replaced at its one seam, ``read_stack_outputs``, and the pulumi binary is never faked.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from dezky_infra.cli import env as env_cli
from dezky_infra.cli import stack_reader
from dezky_infra.cli.env import Mode
from dezky_infra.contract import StackOutputError, StackOutputs


def env_values(outputs: dict[str, str]) -> dict[str, str]:
    """What env writes for ``outputs`` (read through the contract, as the command does)."""
    return StackOutputs.parse(outputs).env_values()


SECRET = "s3cr3t-VALUE-do-not-print"

OUTPUTS = {
    "portal_oidc_client_id": "portal-client",
    "portal_oidc_client_secret": SECRET,
    "portal_oidc_issuer": "http://authentik:9000/application/o/portal/",
    "ocis_oidc_client_id": "ocis-client",
    "ocis_oidc_issuer": "http://authentik:9000/application/o/ocis/",
    "authentik_bootstrap_token": f"{SECRET}-token with spaces & 'quotes'",
    "authentik_url": "http://authentik:9000",
    "unrelated_output": "ignored",
    # what the stack exports about its clients (the parts env reads: the prefix and public/confidential)
    "oidc_clients": json.dumps(
        {
            "dezky-portal": {
                "client_id": "portal-client",
                "issuer": "http://authentik:9000/application/o/portal/",
                "redirect_uris": ["https://app.dezky.local/api/auth/callback"],
                "public": False,
                "token_auth": "client_secret_basic",
                "env_prefix": "PORTAL_OIDC",
            },
            "ocis": {
                "client_id": "ocis-client",
                "issuer": "http://authentik:9000/application/o/ocis/",
                "redirect_uris": ["https://files.dezky.local/"],
                "public": True,
                "token_auth": "none",
                "env_prefix": "OCIS_OIDC",
            },
        }
    ),
}

EXPECTED_VALUES = {
    "PORTAL_OIDC_CLIENT_ID": "portal-client",
    "PORTAL_OIDC_CLIENT_SECRET": SECRET,
    "PORTAL_OIDC_ISSUER": "http://authentik:9000/application/o/portal/",
    "OCIS_OIDC_CLIENT_ID": "ocis-client",
    "OCIS_OIDC_ISSUER": "http://authentik:9000/application/o/ocis/",
    "AUTHENTIK_BOOTSTRAP_TOKEN": f"{SECRET}-token with spaces & 'quotes'",
    "AUTHENTIK_URL": "http://authentik:9000",
    "PLATFORM_API_INTERNAL_URL": "http://platform-api:3001",
}


def assert_no_secret(*streams: str) -> None:
    for stream in streams:
        assert SECRET not in stream


def test_the_keys_come_in_the_clients_order_then_the_stacks() -> None:
    assert list(env_values(OUTPUTS)) == list(EXPECTED_VALUES)


def test_every_listed_client_gets_its_keys() -> None:
    clients = json.loads(OUTPUTS["oidc_clients"])
    clients["stalwart"] = {**clients["dezky-portal"], "env_prefix": "STALWART_OIDC"}
    outputs = {
        **OUTPUTS,
        "oidc_clients": json.dumps(clients),
        "stalwart_oidc_client_id": "stalwart",
        "stalwart_oidc_client_secret": SECRET,
        "stalwart_oidc_issuer": "http://authentik:9000/application/o/stalwart/",
    }
    values = env_values(outputs)
    assert values["STALWART_OIDC_CLIENT_SECRET"] == SECRET
    assert values["STALWART_OIDC_ISSUER"] == "http://authentik:9000/application/o/stalwart/"
    assert "OCIS_OIDC_CLIENT_SECRET" not in values  # a public client has no secret


def test_a_stack_without_the_clients_output_says_to_run_up() -> None:
    outputs = {name: value for name, value in OUTPUTS.items() if name != "oidc_clients"}
    with pytest.raises(StackOutputError, match="has no output oidc_clients; run `pulumi up`"):
        env_values(outputs)


def test_brands_mode_writes_each_tenants_url_and_groups_mode_none(tmp_path: Path) -> None:
    urls = {"acme": "https://acme.auth.dezky.local", "acme-eu": "https://acme-eu.auth.dezky.local:8443"}
    path = tmp_path / ".env"
    assert env_cli.sync({**OUTPUTS, "tenant_auth_urls": json.dumps(urls)}, path, Mode.WRITE) == 0
    assert dotenv_values(path) == {
        **EXPECTED_VALUES,
        "AUTHENTIK_TENANT_ACME_URL": "https://acme.auth.dezky.local",
        "AUTHENTIK_TENANT_ACME_EU_URL": "https://acme-eu.auth.dezky.local:8443",
    }
    assert env_values({**OUTPUTS, "tenant_auth_urls": "{}"}) == EXPECTED_VALUES


@pytest.mark.parametrize("garbled", ["acme", '["acme"]'])
def test_a_garbled_tenant_urls_output_is_one_clear_error(garbled: str) -> None:
    with pytest.raises(StackOutputError, match="tenant_auth_urls is not a JSON object"):
        env_values({**OUTPUTS, "tenant_auth_urls": garbled})


def test_env_values_maps_outputs_and_applies_the_default() -> None:
    assert env_values(OUTPUTS) == EXPECTED_VALUES
    overridden = {**OUTPUTS, "platform_api_internal_url": "http://api:9"}
    assert env_values(overridden)["PLATFORM_API_INTERNAL_URL"] == "http://api:9"


def test_env_values_names_every_missing_output() -> None:
    outputs = {name: value for name, value in OUTPUTS.items() if not name.startswith("portal_")}
    with pytest.raises(StackOutputError) as raised:
        env_values(outputs)
    message = str(raised.value)
    for name in ("portal_oidc_client_id", "portal_oidc_client_secret", "portal_oidc_issuer"):
        assert name in message
    assert SECRET not in message


def test_sync_writes_every_key_and_prints_names_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".env"
    path.write_text("# mine\nCOMPOSE_PROJECT_NAME=dezky\nPORTAL_OIDC_CLIENT_SECRET=pasted-by-hand\n")
    path.chmod(0o644)
    assert env_cli.sync(OUTPUTS, path, Mode.WRITE) == 0
    captured = capsys.readouterr()
    assert_no_secret(*captured)
    assert "changed  PORTAL_OIDC_CLIENT_SECRET" in captured.out
    for key in set(EXPECTED_VALUES) - {"PORTAL_OIDC_CLIENT_SECRET"}:
        assert f"added    {key}" in captured.out
    assert "wrote" in captured.out
    assert dotenv_values(path) == {"COMPOSE_PROJECT_NAME": "dezky", **EXPECTED_VALUES}
    assert path.read_text().startswith("# mine\nCOMPOSE_PROJECT_NAME=dezky\nPORTAL_OIDC_CLIENT_SECRET=")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_second_sync_reports_up_to_date_and_does_not_rewrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".env"
    env_cli.sync(OUTPUTS, path, Mode.WRITE)
    before = path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino
    capsys.readouterr()
    assert env_cli.sync(OUTPUTS, path, Mode.WRITE) == 0
    assert "is up to date" in capsys.readouterr().out
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_check_reports_stale_keys_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".env"
    assert env_cli.sync(OUTPUTS, path, Mode.CHECK) == 1
    assert not path.exists()
    env_cli.sync(OUTPUTS, path, Mode.WRITE)
    capsys.readouterr()
    assert env_cli.sync(OUTPUTS, path, Mode.CHECK) == 0
    rotated = {**OUTPUTS, "portal_oidc_client_secret": f"{SECRET}-rotated"}
    before = path.read_bytes()
    assert env_cli.sync(rotated, path, Mode.CHECK) == 1
    captured = capsys.readouterr()
    assert_no_secret(*captured)
    assert "changed  PORTAL_OIDC_CLIENT_SECRET" in captured.out
    assert "is stale" in captured.out
    assert "AUTHENTIK_URL" not in captured.out
    assert path.read_bytes() == before


def test_dry_run_prints_the_diff_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".env"
    path.write_text("AUTHENTIK_URL=http://old:9000\n")
    assert env_cli.sync(OUTPUTS, path, Mode.DRY_RUN) == 0
    captured = capsys.readouterr()
    assert_no_secret(*captured)
    assert "changed  AUTHENTIK_URL" in captured.out
    assert "added    PORTAL_OIDC_CLIENT_SECRET" in captured.out
    assert "dry run" in captured.out
    assert path.read_text() == "AUTHENTIK_URL=http://old:9000\n"


def test_main_reads_the_named_stack_and_writes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, Path]] = []

    def read(stack: str, cwd: Path) -> dict[str, str]:
        calls.append((stack, cwd))
        return dict(OUTPUTS)

    monkeypatch.setattr(env_cli, "read_stack_outputs", read)
    path = tmp_path / ".env"
    assert env_cli.main(["--stack", "dev", "--file", str(path), "--cwd", str(tmp_path)]) == 0
    assert calls == [("dev", tmp_path)]
    assert path.exists()
    assert_no_secret(*capsys.readouterr())


@pytest.mark.parametrize(
    "outputs",
    [
        {},
        {"portal_oidc_client_secret": SECRET},
        {**OUTPUTS, "portal_oidc_client_secret": f"{SECRET}'$"},
    ],
    ids=["no-outputs", "missing-outputs", "unrepresentable-value"],
)
def test_main_fails_with_one_line_and_leaves_the_file_alone(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    outputs: dict[str, str],
) -> None:
    monkeypatch.setattr(env_cli, "read_stack_outputs", lambda _stack, _cwd: outputs)
    path = tmp_path / ".env"
    path.write_text("KEEP=me\n")
    assert env_cli.main(["--stack", "dev", "--file", str(path)]) == 2
    captured = capsys.readouterr()
    assert_no_secret(*captured)
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert captured.err.count("\n") == 1
    assert path.read_text() == "KEEP=me\n"


def test_main_without_pulumi_on_path_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    path = tmp_path / ".env"
    assert env_cli.main(["--stack", "dev", "--file", str(path), "--cwd", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: the pulumi CLI is not on PATH; install it or add it to PATH\n"
    assert not path.exists()


@pytest.mark.parametrize(
    ("relative", "content", "expected"),
    [
        (".env", b"KEY=\xff\n", "it is not UTF-8 text"),
        ("absent-dir/.env", None, "No such file or directory"),
    ],
    ids=["not-utf8", "missing-directory"],
)
def test_main_reports_unusable_files_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    relative: str,
    content: bytes | None,
    expected: str,
) -> None:
    monkeypatch.setattr(env_cli, "read_stack_outputs", lambda _stack, _cwd: OUTPUTS)
    path = tmp_path / relative
    if content is not None:
        path.write_bytes(content)
    assert env_cli.main(["--stack", "dev", "--file", str(path)]) == 2
    assert capsys.readouterr().err == f"error: cannot update {path}: {expected}\n"
    assert content is None or path.read_bytes() == content


def test_check_and_dry_run_exclude_each_other() -> None:
    with pytest.raises(SystemExit) as raised:
        env_cli.main(["--stack", "dev", "--check", "--dry-run"])
    assert raised.value.code == 2


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        ("error: no stack named 'dev' found\n", "stack 'dev' does not exist in the Pulumi project at proj"),
        (
            "warning: something\nerror: passphrase must be set with PULUMI_CONFIG_PASSPHRASE\n",
            "`pulumi stack output --stack dev` failed: passphrase must be set with PULUMI_CONFIG_PASSPHRASE",
        ),
        ("", "`pulumi stack output --stack dev` failed: no message"),
    ],
)
def test_pulumi_failures_become_one_line(stderr: str, expected: str) -> None:
    described = stack_reader.describe_failure(["stack", "output", "--json"], "dev", Path("proj"), stderr)
    assert described.startswith(expected)
