"""Run one benchmark area: `python -m bench store`, `python -m bench guide`, ..."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def _areas() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_") and m.name != "stats")


def main(argv: list[str]) -> int:
    areas = _areas()
    if not argv or argv[0] not in areas:
        print(f"usage: python -m bench {{{'|'.join(areas)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{argv[0]}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
