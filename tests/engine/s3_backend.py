"""A real S3-compatible server on 127.0.0.1 for Pulumi's team state backend: versitygw, posix backend.

A team shares a stack's state in a bucket (``pulumi login 's3://<bucket>?endpoint=...'``). To test
that with the real engine and without a cloud account, ``VersityGW`` runs versitygw (built once from
the Go module proxy by ``scripts/install-versitygw.sh``; a fresh clone builds it here, never skips)
with its posix backend on a temp folder: every bucket is a folder there and every object a file, so a
test can read exactly what Pulumi wrote. Buckets are made the way an admin would, through versitygw's
admin API (``versitygw admin create-bucket``): the diy backend does not create a missing bucket,
``pulumi login`` fails on it with ``NoSuchBucket: The specified bucket does not exist``.

The backend URL (the s3blob opener of the gocloud.dev pulumi v3.260.0 requires; AWS SDK v2 only):
``endpoint`` and ``region`` are read by ``gocloud.dev/aws.V2ConfigFromURLParams``;
``s3ForcePathStyle=true`` (or its v2 name ``use_path_style=true``) by ``blob/s3blob.URLOpener``;
``awssdk=`` is accepted and ignored. Pulumi's diy backend adds
``request_checksum_calculation=when_required`` itself when an endpoint is set.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.error import URLError
from urllib.request import urlopen

from tests.engine.harness import REPO, StateBackend

INSTALL_SCRIPT = REPO / "scripts" / "install-versitygw.sh"
ACCESS_KEY = "dezky-test-access-key"
SECRET_KEY = "dezky-test-secret-key-4b7e19c0d2a6"
REGION = "us-east-1"
HEALTH_PATH = "/health"
_ACCESS_LINE = re.compile(r"\] \S+ \S+ \S+ s3_(?P<operation>\w+) (?P<key>\S+) \S+ (?P<status>\d{3}) ")
"""An access-log line (S3 server access log layout): ``... [time] ip requester id s3_<Op> key uri status``."""


@dataclass(frozen=True)
class S3Request:
    """One request the server answered, from its access log: ``GetObject .pulumi/meta.yaml 200``."""

    operation: str
    key: str
    status: int


def versitygw_binary() -> Path:
    """The versitygw binary, built by ``scripts/install-versitygw.sh`` on first use (minutes, once).

    Raises ``RuntimeError`` with the script's output when the build fails: a missing server is a
    failure of the test run, not a reason to skip.
    """
    result = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False, timeout=1800
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"{INSTALL_SCRIPT.name} failed:\n{result.stderr.strip()}")
    binary = Path(result.stdout.strip().splitlines()[-1]) / "versitygw"
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{INSTALL_SCRIPT.name} reported {binary.parent}, but it holds no versitygw")
    return binary


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class VersityGW:
    """One versitygw process serving ``root`` (its posix backend) on a free 127.0.0.1 port.

    Use as a context manager: the server is up and answering on enter and stopped on exit. The root
    account uses the fixed test keys ``ACCESS_KEY``/``SECRET_KEY``; ``backend(bucket)`` makes a bucket
    and returns what the engine needs to keep its state there.
    """

    def __init__(self, workdir: Path) -> None:
        self.root = workdir / "posix-root"
        self.root.mkdir(parents=True)
        self.log_path = workdir / "versitygw.log"
        self.access_log = workdir / "access.log"
        self.binary = versitygw_binary()
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> VersityGW:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until its health endpoint answers; fail with its log if not."""
        env = {**os.environ, "ROOT_ACCESS_KEY_ID": ACCESS_KEY, "ROOT_SECRET_ACCESS_KEY": SECRET_KEY}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    str(self.binary),
                    "--port",
                    f"127.0.0.1:{self.port}",
                    "--region",
                    REGION,
                    "--health",
                    HEALTH_PATH,
                    "--quiet",
                    "--access-log",
                    str(self.access_log),
                    "posix",
                    str(self.root),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"versitygw exited with {self._process.returncode}:\n{self.log()}")
            try:
                with urlopen(f"{self.endpoint}{HEALTH_PATH}", timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200:
                        return
            except (URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"versitygw did not answer on {self.endpoint} within {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); a no-op when it is not running."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def log(self) -> str:
        """What versitygw printed (request logging is off; start-up lines and errors remain)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def access_mark(self) -> int:
        """A position in the access log; ``requests_since`` returns what was answered after it."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def requests_since(self, mark: int) -> list[S3Request]:
        """The S3 requests the server answered after ``mark`` (every client, every bucket)."""
        with self.access_log.open("rb") as log:
            log.seek(mark)
            lines = log.read().decode(errors="replace").splitlines()
        found = (_ACCESS_LINE.search(line) for line in lines)
        return [S3Request(m["operation"], m["key"], int(m["status"])) for m in found if m is not None]

    def create_bucket(self, bucket: str) -> Path:
        """Create ``bucket`` owned by the root account through the admin API; its folder in the root."""
        result = subprocess.run(
            [
                str(self.binary),
                "admin",
                "--endpoint-url",
                self.endpoint,
                "create-bucket",
                "--owner",
                ACCESS_KEY,
                "--bucket",
                bucket,
            ],
            env={**os.environ, "ADMIN_ACCESS_KEY_ID": ACCESS_KEY, "ADMIN_SECRET_ACCESS_KEY": SECRET_KEY},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"versitygw admin create-bucket {bucket} failed: {result.stderr.strip()}")
        return self.root / bucket

    def backend_url(self, bucket: str) -> str:
        """The ``pulumi login`` URL of ``bucket`` on this server."""
        return f"s3://{bucket}?endpoint={self.endpoint}&s3ForcePathStyle=true&region={REGION}"

    def backend(self, bucket: str) -> StateBackend:
        """A new bucket, as the engine's state backend (URL, its folder on disk, AWS credentials)."""
        files = self.create_bucket(bucket)
        env = {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            # empty is unset for the AWS SDK: a developer's own session or profile must not mix in
            "AWS_SESSION_TOKEN": "",
            "AWS_PROFILE": "",
        }
        return StateBackend(url=self.backend_url(bucket), files=files, env=env)
