"""Durations go out in the form the docker provider reads back: Go's `time.Duration.String()`.

The provider (kreuzwerker/terraform-provider-docker, `resourceDockerContainerRead`) stores a
healthcheck's durations from `docker inspect` as `time.Duration.String()`: a value sent as "60s"
comes back as "1m0s" and shows as a change after every refresh. Both the renderer and every
duration the dev stack sends are checked against Go itself, through a tiny program built once per
session.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from dezky_infra.program.docker.durations import go_duration

from .harness import CONTAINER, Deployment

GO_PROGRAM = """\
// Prints, one per line, each argument as Go's time.Duration.String() prints it: an integer is a
// number of seconds, anything else a duration string for time.ParseDuration.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	for _, arg := range os.Args[1:] {
		if seconds, err := strconv.ParseInt(arg, 10, 64); err == nil {
			fmt.Println((time.Duration(seconds) * time.Second).String())
			continue
		}
		d, err := time.ParseDuration(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(d.String())
	}
}
"""

GoDurations = Callable[[Sequence[int | str]], list[str]]

SECONDS = [0, 1, 5, 9, 10, 30, 59, 60, 61, 90, 119, 120, 300, 599, 600, 3599, 3600, 3601, 3660, 5400, 7322]
SECONDS += [86399, 86400, 90061, 360000]


@pytest.fixture(scope="session")
def go_durations(tmp_path_factory: pytest.TempPathFactory) -> GoDurations:
    """Go's own rendering of seconds (ints) and of duration strings (re-rendered after parsing)."""
    go = shutil.which("go")
    assert go is not None, "the go toolchain must be on PATH: Go's own output is the reference here"
    folder: Path = tmp_path_factory.mktemp("go-durations")
    (folder / "main.go").write_text(GO_PROGRAM)
    binary = folder / "durations"
    build = subprocess.run(
        [go, "build", "-o", str(binary), "main.go"], cwd=folder, capture_output=True, text=True, check=False
    )
    assert build.returncode == 0, f"building the Go duration printer failed:\n{build.stderr}"

    def render(values: Sequence[int | str]) -> list[str]:
        result = subprocess.run([str(binary), *map(str, values)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    return render


def test_go_duration_prints_whole_seconds_exactly_as_go(go_durations: GoDurations) -> None:
    ours = [go_duration(timedelta(seconds=seconds)) for seconds in SECONDS]
    assert ours == go_durations(SECONDS)
    assert go_duration(timedelta(minutes=1)) == "1m0s"
    assert go_duration(timedelta(seconds=90)) == "1m30s"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (timedelta(milliseconds=1500), "1.5 s is not a whole number of seconds"),
        (timedelta(seconds=-5), "-5 s is negative"),
    ],
)
def test_go_duration_refuses_what_the_docker_layer_never_sends(value: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=f"^duration {message}$"):
        go_duration(value)


def test_every_duration_the_stack_sends_reads_back_unchanged(
    dev_stack: Deployment, go_durations: GoDurations
) -> None:
    sent = {
        f"{name}.{key}": value
        for name, container in dev_stack.of_type(CONTAINER).items()
        for key, value in container.inputs["healthcheck"].items()
        if key in {"interval", "timeout", "startPeriod", "startInterval"}
    }
    assert len(sent) >= 3 * 7, "every container has a healthcheck with interval, timeout, start period"
    read_back = dict(zip(sent, go_durations(list(sent.values())), strict=True))
    assert read_back == sent
    assert sent["dezky-authentik-server.startPeriod"] == "1m0s"
