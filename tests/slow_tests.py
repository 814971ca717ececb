"""Find the tests that keep the quick loop (``uv run pytest -m "not slow"``) over a minute,
and add them to ``tests/slow.txt``, which ``tests/conftest.py`` marks ``slow``.

    uv run python tests/slow_tests.py [--threshold 0.2]

It runs the quick loop with ``--durations`` and adds every test whose setup and call took
longer than the threshold (seconds). Names already in the file stay: a test leaves it by
hand. A plain ``uv run pytest`` (CI) runs every test, slow or not.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
SLOW = HERE / "slow.txt"
LINE = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)")


def listed() -> set[str]:
    if not SLOW.exists():
        return set()
    return {
        line.strip() for line in SLOW.read_text().splitlines() if line.strip()[:1] not in ("", "#")
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.2)
    a = ap.parse_args()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"]
        + ["--durations=0", f"--durations-min={a.threshold / 4}"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
    )
    took: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        m = LINE.match(line)
        if m and m.group(2) != "teardown":
            took[m.group(3)] += float(m.group(1))
    new = {n for n, s in took.items() if s > a.threshold} - listed()
    names = sorted(listed() | new)
    SLOW.write_text(
        "# tests over the quick loop's threshold, found by tests/slow_tests.py (one node id a\n"
        "# line); tests/conftest.py marks them slow, and CI runs them with every other test\n"
        + "".join(n + "\n" for n in names)
    )
    print(
        f"{len(new)} added, {len(names)} in {SLOW.name}; the run said: {run.stdout.splitlines()[-1]}"
    )


if __name__ == "__main__":
    main()
