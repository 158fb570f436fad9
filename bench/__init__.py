"""dezky-infra benchmarks: our dynamic providers through the real engine, next to the engine floor and
the old scripted route, against the local authentik server under realistic latencies.

One command: ``bash bench/run.sh`` (all flags: ``bash bench/run.sh --help``).
"""
