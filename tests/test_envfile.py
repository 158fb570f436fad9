"""Tests of dezky_infra.cli.envfile: line-preserving merge, quoting that docker compose and python-dotenv
both read back unchanged, and the atomic 0600 write.

Round trips are checked with the real readers: python-dotenv (a test dependency) and compose-go's
dotenv parser, through the small Go program in tests/envfile_compose_reader built once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from dotenv import dotenv_values

from dezky_infra.cli import envfile
from dezky_infra.cli.envfile import MANAGED_HEADER, Change, UnrepresentableValueError

COMPOSE_READER_SOURCE = Path(__file__).parent / "envfile_compose_reader"

Reader = Callable[[Path], dict[str, str]]

ROUND_TRIP_VALUES = {
    "bare": "Token_123./:@+,=-",
    "empty": "",
    "space": "with space",
    "edge_spaces": "  leading and trailing  ",
    "tab": "tab\there",
    "hash": "a#b",
    "hash_after_space": "value #not a comment",
    "hash_first": "#starts-with-hash",
    "dollar": "cost $HOME $$ $1 {x} $",
    "dollar_brace_open": "$ {not} a variable",
    "equals": "=leading=and=inner",
    "single_quote": "it's",
    "single_quote_edges": "'quoted'",
    "double_quote": 'say "hi"',
    "double_quote_edges": '"dq"',
    "both_quotes": 'it\'s "both"',
    "backslash": "back\\slash",
    "backslash_end": "ends with backslash\\",
    "backslash_pair": "two \\\\ backslashes",
    "backslash_n_literal": "not a newline: \\n",
    "backslash_quote_literal": "escaped-looking \\\" and \\'",
    "newline": "line one\nline two",
    "crlf": "crlf\r\nend",
    "trailing_newline": "ends with newline\n",
    "unicode": "pässwörd ✓",
}

UNREPRESENTABLE_VALUES = {
    "dollar_and_single_quote": "SECRET-it's $5",
    "dollar_and_backslash": "SECRET\\$x",
    "dollar_and_newline": "SECRET\n$x",
    "dollar_brace": "SECRET${HOME}",
    "dollar_brace_unclosed": "SECRET${",
}


@pytest.fixture(scope="session")
def compose_reader(tmp_path_factory: pytest.TempPathFactory) -> Reader:
    """Build the compose-go reader once and return a function reading a file through it."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("the go toolchain is not on PATH; cannot build the compose-go dotenv reader")
    binary = tmp_path_factory.mktemp("compose-reader") / "envfile_compose_reader"
    build = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=COMPOSE_READER_SOURCE,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, f"building the compose-go reader failed:\n{build.stderr}"

    def read(path: Path) -> dict[str, str]:
        result = subprocess.run([binary, path], capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"compose-go could not parse {path}: {result.stderr}"
        values: dict[str, str] = json.loads(result.stdout)
        return values

    return read


def python_dotenv_readings(path: Path) -> list[dict[str, str | None]]:
    """python-dotenv's readings: with its default interpolation and without."""
    return [dotenv_values(path), dotenv_values(path, interpolate=False)]


def write_merged(path: Path, existing: str, values: dict[str, str]) -> None:
    """Merge ``values`` into ``existing`` and write the result with the module's writer."""
    text, _ = envfile.merge(existing, values)
    envfile.write_env_file(path, text)


SURROUNDINGS = "# settings\nexport OTHER='kept # as is'\n\nBEFORE=1\n"


@pytest.mark.parametrize("value", ROUND_TRIP_VALUES.values(), ids=ROUND_TRIP_VALUES.keys())
def test_value_round_trips_through_both_readers(tmp_path: Path, compose_reader: Reader, value: str) -> None:
    path = tmp_path / ".env"
    write_merged(path, SURROUNDINGS, {"MANAGED": value, "AFTER": "2"})
    expected = {"OTHER": "kept # as is", "BEFORE": "1", "MANAGED": value, "AFTER": "2"}
    assert compose_reader(path) == expected
    for reading in python_dotenv_readings(path):
        assert reading == expected


def test_all_values_together_round_trip_and_stay_one_line_each(
    tmp_path: Path, compose_reader: Reader
) -> None:
    path = tmp_path / ".env"
    values = {f"KEY_{name.upper()}": value for name, value in ROUND_TRIP_VALUES.items()}
    write_merged(path, "", values)
    assert compose_reader(path) == values
    for reading in python_dotenv_readings(path):
        assert reading == values
    assert len(path.read_text().splitlines()) == len(values) + 1  # the header, then one line per key


def test_rewriting_keeps_other_keys_as_both_readers_saw_them(tmp_path: Path, compose_reader: Reader) -> None:
    existing = (
        "# hand-written\n"
        "export PLAIN=value # comment\n"
        'MULTI="first\n'
        'MANAGED=inside a quoted value"\n'
        "SINGLE='lit$eral'\n"
        "MANAGED=old\n"
        'DOUBLE="esc\\"aped"\n'
    )
    path = tmp_path / ".env"
    path.write_text(existing)
    before: list[Mapping[str, str | None]] = [compose_reader(path), *python_dotenv_readings(path)]
    write_merged(path, existing, {"MANAGED": "new value"})
    after = [compose_reader(path), *python_dotenv_readings(path)]
    for old, new in zip(before, after, strict=True):
        assert new == {**old, "MANAGED": "new value"}


@pytest.mark.parametrize("value", UNREPRESENTABLE_VALUES.values(), ids=UNREPRESENTABLE_VALUES.keys())
def test_unrepresentable_value_is_refused_naming_the_key_not_the_value(value: str) -> None:
    with pytest.raises(UnrepresentableValueError) as raised:
        envfile.merge("", {"PORTAL_OIDC_CLIENT_SECRET": value})
    message = str(raised.value)
    assert "PORTAL_OIDC_CLIENT_SECRET" in message
    assert "SECRET" not in message.replace("PORTAL_OIDC_CLIENT_SECRET", "")


def test_invalid_key_is_refused() -> None:
    with pytest.raises(UnrepresentableValueError, match="not a valid variable name"):
        envfile.merge("", {"BAD KEY": "x"})


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("abc-123", "abc-123"),
        ("", ""),
        ("a b$c", "'a b$c'"),
        ("it's", '"it\'s"'),
        ('a\\b"\n\r', '"a\\\\b\\"\\n\\r"'),
    ],
)
def test_encoding_picks_the_simplest_safe_form(value: str, encoded: str) -> None:
    assert envfile.encode_value("KEY", value) == encoded


@pytest.mark.parametrize(
    "text",
    [
        "",
        "A=1",
        "A=1\n\n# c\n",
        "A=1\r\nB=2\r\n",
        "export A='x'\n  B = \"y\" # c\nnot a line\n",
        'A="multi\nline"\nB=2',
        "A='unterminated\nB=2\n",
        "\n\n",
    ],
)
def test_parse_reproduces_the_text(text: str) -> None:
    assert "".join(line.text for line in envfile.parse(text)) == text


def test_parse_recognises_assignments_and_multiline_values() -> None:
    lines = envfile.parse('# c\nexport A=1\nB="x\ny" # t\nC\n')
    assert [(line.key, line.export) for line in lines] == [
        (None, False),
        ("A", True),
        ("B", False),
        (None, False),
    ]
    assert lines[2].body == 'B="x\ny" # t'


def test_merge_updates_in_place_and_keeps_everything_else() -> None:
    existing = "# top comment\nFIRST=1\n\nexport TOKEN=old # note\n# trailing comment\nLAST=z\n"
    text, changes = envfile.merge(existing, {"TOKEN": "new", "FIRST": "1"})
    assert text == "# top comment\nFIRST=1\n\nexport TOKEN=new\n# trailing comment\nLAST=z\n"
    assert changes == {"TOKEN": Change.CHANGED, "FIRST": Change.UNCHANGED}


def test_merge_appends_missing_keys_under_one_header() -> None:
    text, changes = envfile.merge("EXISTING=1", {"A": "1", "B": "2"})
    assert text == f"EXISTING=1\n\n{MANAGED_HEADER}\nA=1\nB=2\n"
    assert changes == {"A": Change.ADDED, "B": Change.ADDED}
    text, changes = envfile.merge(text, {"A": "1", "B": "2", "C": "3"})
    assert text == f"EXISTING=1\n\n{MANAGED_HEADER}\nA=1\nB=2\nC=3\n"
    assert text.count(MANAGED_HEADER) == 1
    assert changes == {"A": Change.UNCHANGED, "B": Change.UNCHANGED, "C": Change.ADDED}


def test_merge_into_empty_text_has_no_leading_blank_line() -> None:
    assert envfile.merge("", {"A": "1"}) == (f"{MANAGED_HEADER}\nA=1\n", {"A": Change.ADDED})


def test_merge_updates_every_duplicate_because_readers_take_the_last() -> None:
    text, changes = envfile.merge("A=old\nB=1\nA=older\n", {"A": "new"})
    assert text == "A=new\nB=1\nA=new\n"
    assert changes == {"A": Change.CHANGED}
    _, changes = envfile.merge("A=new\nA=stale\n", {"A": "new"})
    assert changes == {"A": Change.CHANGED}


def test_merge_replaces_a_whole_multiline_value() -> None:
    text, _ = envfile.merge('A="one\ntwo"\nB=1\n', {"A": "x"})
    assert text == "A=x\nB=1\n"


def test_merge_keeps_crlf_line_endings() -> None:
    text, _ = envfile.merge("A=1\r\nB=2\r\n", {"B": "3", "C": "4"})
    assert text == f"A=1\r\nB=3\r\n\r\n{MANAGED_HEADER}\r\nC=4\r\n"


def test_merge_rewrites_a_differently_quoted_equal_value_once() -> None:
    text, changes = envfile.merge("A='abc'\n", {"A": "abc"})
    assert (text, changes) == ("A=abc\n", {"A": Change.CHANGED})
    assert envfile.merge(text, {"A": "abc"}) == (text, {"A": Change.UNCHANGED})


def test_merge_is_idempotent() -> None:
    values = {f"K{index}": value for index, value in enumerate(ROUND_TRIP_VALUES.values())}
    once, _ = envfile.merge("# mine\nX=1\n", values)
    twice, changes = envfile.merge(once, values)
    assert twice == once
    assert set(changes.values()) == {Change.UNCHANGED}


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sync_creates_a_0600_file_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    previous = os.umask(0)
    try:
        changes = envfile.sync_env_file(path, {"A": "1"}, write=True)
    finally:
        os.umask(previous)
    assert changes == {"A": Change.ADDED}
    assert mode_of(path) == 0o600
    assert path.read_text() == f"{MANAGED_HEADER}\nA=1\n"


def test_sync_replaces_a_0644_file_with_a_0600_one(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=old\n")
    path.chmod(0o644)
    envfile.sync_env_file(path, {"A": "new"}, write=True)
    assert mode_of(path) == 0o600
    assert path.read_text() == "A=new\n"


def test_second_sync_leaves_bytes_and_mtime_alone(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    envfile.sync_env_file(path, {"A": "1", "B": "two words"}, write=True)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = path.read_bytes(), path.stat()
    changes = envfile.sync_env_file(path, {"A": "1", "B": "two words"}, write=True)
    after = path.read_bytes(), path.stat()
    assert set(changes.values()) == {Change.UNCHANGED}
    assert after[0] == before[0]
    assert (after[1].st_mtime_ns, after[1].st_ino) == (before[1].st_mtime_ns, before[1].st_ino)


def test_unchanged_sync_tightens_a_loose_mode_without_rewriting(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    path.chmod(0o644)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    envfile.sync_env_file(path, {"A": "1"}, write=True)
    assert mode_of(path) == 0o600
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_sync_without_write_touches_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    assert envfile.sync_env_file(path, {"A": "1"}, write=False) == {"A": Change.ADDED}
    assert not path.exists()
    path.write_text("A=0\n")
    path.chmod(0o644)
    assert envfile.sync_env_file(path, {"A": "1"}, write=False) == {"A": Change.CHANGED}
    assert path.read_text() == "A=0\n"
    assert mode_of(path) == 0o644


def test_temporary_file_is_private_before_it_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / ".env"
    path.write_text("A=old\n")
    path.chmod(0o644)
    real_replace = os.replace
    seen: list[tuple[Path, int, str]] = []

    def checking_replace(source: str, target: str) -> None:
        temporary = Path(source)
        seen.append((temporary.parent, mode_of(temporary), temporary.read_text()))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", checking_replace)
    envfile.write_env_file(path, "A=new\n")
    assert seen == [(tmp_path, 0o600, "A=new\n")]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / ".env"
    path.write_text("A=old\n")
    path.chmod(0o640)

    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        envfile.sync_env_file(path, {"A": "new"}, write=True)
    assert path.read_text() == "A=old\n"
    assert mode_of(path) == 0o640
    assert [entry.name for entry in tmp_path.iterdir()] == [".env"]


def test_write_follows_a_symlinked_env_file(tmp_path: Path) -> None:
    real = tmp_path / "shared.env"
    real.write_text("A=old\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    envfile.sync_env_file(link, {"A": "new"}, write=True)
    assert link.is_symlink()
    assert real.read_text() == "A=new\n"


def test_read_env_file_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert envfile.read_env_file(tmp_path / "absent") == ""
