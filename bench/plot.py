"""The PNG: wall time against tenant count, one panel per operation (matplotlib, Agg).

Each panel has our program under each latency profile (solid), the fair engine floor (dashed), the
thin floor when it was measured (dash-dot) and, for fresh ``up``, the scripted route (dotted). Points
are medians; the bars span the fastest to the slowest repetition.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from bench.project import OPERATIONS
from bench.report import Cell, Key
from bench.runner import SCRIPTED_OP

COLUMNS = 4


def _line(
    ax: Axes, cells: dict[Key, Cell], key: tuple[str, str | None, str], style: str, color: str, label: str
) -> None:
    """One series with min-max bars; nothing when it was not measured."""
    route, profile, op = key
    found = sorted(
        (c for k, c in cells.items() if k[0] == route and k[1] == profile and k[3] == op),
        key=lambda c: c.tenants,
    )
    if not found:
        return
    ax.errorbar(
        [c.tenants for c in found],
        [c.seconds for c in found],
        yerr=[[c.seconds - c.min_seconds for c in found], [c.max_seconds - c.seconds for c in found]],
        fmt=style,
        color=color,
        capsize=3,
        markersize=4,
        label=label,
    )


def plot(cells: dict[Key, Cell], profiles: list[str], path: Path) -> Path:
    """Every operation's panel (see the module docstring); returns ``path``."""
    counts = sorted({c.tenants for c in cells.values()})
    rows = math.ceil(len(OPERATIONS) / COLUMNS)
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(4.2 * COLUMNS, 3.6 * rows), squeeze=False)
    for ax, op in zip(axes.flat, OPERATIONS, strict=False):
        for index, profile in enumerate(profiles):
            _line(ax, cells, ("ours", profile, op), "o-", f"C{index}", f"ours ({profile})")
        _line(ax, cells, ("floor", None, op), "x--", "black", "fair floor")
        _line(ax, cells, ("thin floor", None, op), "+-.", "0.6", "thin floor")
        if op == "fresh up":
            for index, profile in enumerate(profiles):
                _line(
                    ax, cells, ("scripted", profile, SCRIPTED_OP), "s:", f"C{index}", f"scripted ({profile})"
                )
        if counts and max(counts) >= 10 * min(counts):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(counts, [str(n) for n in counts])
        ax.set_title(op)
        ax.set_xlabel("tenants")
        ax.set_ylabel("wall time [s]")
        ax.grid(True, which="both", alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=7)
    for ax in axes.flat[len(OPERATIONS) :]:
        ax.set_visible(False)
    fig.suptitle("wall time vs tenants (group + OAuth2 provider + application each): median, min-max bars")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
