"""Small text formatting shared by the command line and the web app."""

from __future__ import annotations


def human_size(n: float) -> str:
    """``909586`` → ``"909.6 KB"`` (decimal units, as disks are sold)."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover - the loop returns at GB
