"""The PNG: wall time against tenant count, one panel per latency profile (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from bench.project import OPERATIONS
from bench.report import Cell, Key
from bench.runner import SCRIPTED_OP


def _series(
    cells: dict[Key, Cell], route: str, profile: str | None, op: str
) -> tuple[list[int], list[float]]:
    points = sorted(
        (c.tenants, c.seconds) for k, c in cells.items() if k[0] == route and k[1] == profile and k[3] == op
    )
    return [n for n, _ in points], [s for _, s in points]


def plot(cells: dict[Key, Cell], profiles: list[str], path: Path) -> Path:
    """Our operations (solid), the engine floor (dashed) and the scripted route (dotted) per profile."""
    fig, axes = plt.subplots(1, len(profiles), figsize=(6.5 * len(profiles), 4.8), squeeze=False)
    counts = sorted({c.tenants for c in cells.values()})
    for ax, profile in zip(axes[0], profiles, strict=True):
        for index, op in enumerate(OPERATIONS):
            color = f"C{index}"
            ax.plot(*_series(cells, "ours", profile, op), "o-", color=color, label=f"ours: {op}")
            ax.plot(*_series(cells, "floor", None, op), "x--", color=color, alpha=0.6, label=f"floor: {op}")
        ax.plot(
            *_series(cells, "scripted", profile, SCRIPTED_OP),
            "s:",
            color="black",
            label="scripted: create all",
        )
        if counts and max(counts) >= 10 * min(counts):
            ax.set_xscale("log")
            ax.set_yscale("log")
            plain = FuncFormatter(lambda value, _pos: f"{value:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
        ax.set_xticks(counts, [str(n) for n in counts])
        ax.set_title(f"latency profile: {profile}")
        ax.set_xlabel("tenants (group + OAuth2 provider + application each)")
        ax.set_ylabel("wall time, median [s]")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
