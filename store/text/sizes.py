"""File sizes in words a reader expects: 98 B, 4.2 KB, 12 KB, 3.1 MB (the one size formatter)."""

from __future__ import annotations

_UNITS = ("KB", "MB", "GB")


def show_size(size: int) -> str:
    """A byte count as B, KB, MB or GB (1 KB = 1,024 bytes); never "0 KB" for a small file."""
    if size < 1024:
        return f"{max(size, 0):,} B"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        # Rounding may reach 1024 (1,048,575 bytes is 1,023.999 KB): carry on to the next unit.
        if round(value, 1) < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}" if value < 10 else f"{round(value):,} {unit}"
    raise AssertionError("unreachable")  # the loop returns on its last unit
