"""The service is platform-api: its former name must not come back anywhere in the docker layer."""

from pathlib import Path

import dezky_infra.program.docker

from .harness import Deployment, unwrap

FORMER_NAME = "provision" + "ing"  # spelled in two parts so this file does not contain it


def _docker_layer_files() -> list[Path]:
    package = Path(dezky_infra.program.docker.__file__).parent
    tests = Path(__file__).parent
    return [path for root in (package, tests) for path in root.rglob("*.py")]


def test_former_name_is_in_no_source_file() -> None:
    files = _docker_layer_files()
    assert len(files) > 10
    offenders = [str(path) for path in files if FORMER_NAME in path.read_text(encoding="utf-8").lower()]
    assert offenders == []


def test_former_name_is_in_no_resource(dev_stack: Deployment) -> None:
    for recorded in dev_stack.registered:
        assert FORMER_NAME not in recorded.name.lower()
        assert FORMER_NAME not in repr(unwrap(recorded.inputs)).lower()
