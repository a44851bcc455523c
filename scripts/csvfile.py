"""Writing a list of same-keyed rows as CSV (the tools' time series)."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` with a header taken from the first row; an empty list gives an empty file."""
    with path.open("w", newline="") as fh:
        if rows:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path
