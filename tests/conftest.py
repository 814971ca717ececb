from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id at its lowest cost in the tests that run the ballot service in this process:
    the same code and the same hash format, at a fraction of a millisecond instead of about
    100 ms a password (as Django's test settings use a fast hasher). The served processes of
    ``tests/service/harness.Server`` keep the real cost."""
    from argon2 import PasswordHasher

    from tallyroom.service import core

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


# -- the quick loop -------------------------------------------------------------------------
# `uv run pytest -m "not slow"` leaves out what takes more than about a second; CI (and a
# plain `uv run pytest`) runs everything. Besides the tests marked `slow` by hand, these are
# slow by what they do, measured with `--durations` (docs/architecture.md, "Tests"):
#: a real Chromium per module
SLOW_FIXTURES = {"browser"}
#: server processes killed and restarted; belenios-tool runs; byte-by-byte record sweeps
SLOW_MODULES = {"test_processes.py", "test_belenios_interop.py", "test_belenios_kat.py"}
#: the Minneapolis ES&S spreadsheets (80,000 and 105,000 papers, read from .xlsx), the
#: whole of Scotland 2017, the byte sweep of a sealed record, a browser launched by hand
SLOW_WORDS = (
    "minneapolis",
    "scale",
    "hare_quota",
    "harequota",
    "scotland_2017_all_wards",
    "sweep_of_changed_bytes",
    "in_a_browser",
)


#: tests measured over 0.2 s in the quick loop (tests/slow_tests.py adds them)
SLOW_TESTS = {
    line.strip()
    for line in (Path(__file__).parent / "slow.txt").read_text().splitlines()
    if line.strip()[:1] not in ("", "#")
}
#: a sweep (one test over many cases) keeps its first cases in the quick loop
SWEEP_SAMPLE = 10


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cases: Counter[str] = Counter()
    for item in items:
        name = item.nodeid.lower()
        sweep = item.nodeid.split("[")[0]
        cases[sweep] += 1
        if (
            SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or item.path.name in SLOW_MODULES
            or any(w in name for w in SLOW_WORDS)
            or item.nodeid in SLOW_TESTS
            or ("[" in item.nodeid and cases[sweep] > SWEEP_SAMPLE)
        ):
            item.add_marker(pytest.mark.slow)
