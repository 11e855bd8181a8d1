"""``python -m bench._passwords_worker CSV``: parse and convert every row of a hash export.

Runs in its own process so that its peak memory and CPU are its own. Prints one
JSON line: rows read, converted, refused, unreadable, and seconds spent.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

from stytch2workos.source.hashcsv import RowError, read_params_and_rows
from stytch2workos.transform.passwords import Converted, convert


def main(path: str) -> None:
    start = time.perf_counter()
    outcomes: Counter[str] = Counter()
    with open(path, encoding="utf-8", newline="") as lines:
        params, rows = read_params_and_rows(lines)
        for row in rows:
            if isinstance(row, RowError):
                outcomes["unreadable"] += 1
            elif isinstance(convert(row, params), Converted):
                outcomes["converted"] += 1
            else:
                outcomes["refused"] += 1
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": sum(outcomes.values()), **outcomes, "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1])
