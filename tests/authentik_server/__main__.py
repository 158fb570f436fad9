"""Run the server standalone.

python -m tests.authentik_server --port 9000 --bootstrap-token T --akadmin-password P
    [--authentik-version 2026.2]   (default 2025.10)
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from tests.authentik_server import versions
from tests.authentik_server.server import AuthentikServer


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, start, print the URL, serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tests.authentik_server", description=__doc__)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--bootstrap-token", default=None, help="AUTHENTIK_BOOTSTRAP_TOKEN (omit for none)")
    parser.add_argument("--akadmin-password", default="akadmin", help="AUTHENTIK_BOOTSTRAP_PASSWORD")
    parser.add_argument("--tls-cert", default=None, help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", default=None, help="private key for --tls-cert (PEM)")
    parser.add_argument(
        "--authentik-version",
        choices=sorted(versions.VERSIONS),
        default=versions.DEFAULT.name,
        help="the authentik release to behave as (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    server = AuthentikServer(
        bootstrap_token=args.bootstrap_token,
        akadmin_password=args.akadmin_password,
        port=args.port,
        tls=tls,
        version=args.authentik_version,
    )
    done = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    server.start()
    print(server.url, flush=True)
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
