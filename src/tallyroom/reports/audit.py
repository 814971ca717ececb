"""Audit data: hashes, and a bundle with everything needed to re-run a count elsewhere.

The bundle (``tallyroom count FILE --method ID --audit DIR``) holds:

``ballots.blt``
    the normalised ballots: the valid papers after the ballot rules (overvote, skipped
    ranks, duplicates) were applied, identical papers merged, withdrawn candidates kept.
``count.json``
    the rule id, the options given to it (with the seed for ties broken by lot), the
    options the rule resolved them to, the ballot accounting (read, valid, invalid by
    reason, which the BLT cannot hold), the source file's name and SHA-256, and the
    tallyroom version.
``result.json``
    the result in the ``tallyroom.result/1`` contract.
``SHA256SUMS``
    the SHA-256 of each file above, in the format ``sha256sum -c SHA256SUMS`` checks.

:func:`rerun` counts ``ballots.blt`` again under ``count.json`` and returns the record,
so a bundle can be checked with tallyroom itself as well as with another program.
Nothing here reads the clock: a bundle written twice from the same count is the same,
byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from tallyroom.ballots.formats.textio import file_sha256
from tallyroom.ballots.model import Profile
from tallyroom.record import CountRecord

BUNDLE_FORMAT = "tallyroom.audit/1"
BALLOTS = "ballots.blt"
CANDIDATES = "candidates.csv"
COUNT = "count.json"
RESULT = "result.json"
SUMS = "SHA256SUMS"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


sha256_file = file_sha256


def _plain(v: Any) -> Any:
    """JSON-ready copy of an options value: exact numbers as strings, never floats."""
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def count_settings(
    profile: Profile, record: CountRecord, given: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What ``count.json`` holds: how to re-run the count, and what the source was."""
    from tallyroom import __version__

    def whole(x: Fraction | int) -> str:
        f = Fraction(x)
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"

    given_options = dict(given or {})
    given_options.setdefault("seed", record.options.get("seed", 1))
    return {
        "format": BUNDLE_FORMAT,
        "tallyroom_version": __version__,
        "method": record.method,
        "options": _plain(given_options),
        "resolved_options": _plain(dict(record.options)),
        "ballot_rules": _plain(dict(record.ballot_rules)),
        "seats": record.seats,
        "withdrawn": list(record.withdrawn),
        "source": {
            "name": record.source or profile.source,
            # the digest taken when the file was read: the bundle is made from the record
            # and the profile, never from the file again
            "sha256": profile.source_sha256 or None,
        },
        "ballots": {
            "read": whole(record.ballots_read),
            "valid": whole(record.valid),
            "invalid": {k: whole(v) for k, v in record.invalid.items()},
        },
        "ballots_file": BALLOTS,
        "rerun": f"tallyroom count {BALLOTS} --method {record.method}"
        + (
            f" --candidates {CANDIDATES}"
            if any(c.attributes for c in profile.election.candidates)
            else ""
        )
        + "".join(_cli_flag(k, v) for k, v in given_options.items()),
    }


def _cli_flag(key: str, value: Any) -> str:
    if key == "seed":
        return f" --seed {value}"
    if key == "tie_fallback":
        return f" --tie-break {value}"
    if key == "tie_order":
        return " --tie-order " + _shell_quote(",".join(value))
    if key == "decisions":
        return "".join(" --decision " + _shell_quote(d) for d in value)
    if key == "constraints":
        return "".join(" --constraint " + _shell_quote(str(c)) for c in value)
    if isinstance(value, bool):
        value = str(value).lower()
    return f" --option {key}={_shell_quote(str(value))}"


def _shell_quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def bundle_dir(root: str | os.PathLike[str], source: str, files: int) -> Path:
    """Where one count's bundle goes: ``root`` itself for a single file, else a subfolder
    named after the ballot file (``root/ward1.blt/``).  For several files, use
    :func:`bundle_dirs`, which keeps two files of the same name apart."""
    if files <= 1:
        return Path(root)
    return Path(root) / Path(source).name


def bundle_dirs(root: str | os.PathLike[str], sources: Sequence[str]) -> list[Path]:
    """Where each count's bundle goes: ``root`` itself for a single file, else a subfolder
    per ballot file named after it (``root/ward1.blt/``).  Two files of the same name
    (``north/ward1.blt`` and ``south/ward1.blt``), or names a case-insensitive file system
    takes for one, get ``ward1.blt``, ``ward1.blt-2``, ...: no bundle overwrites another."""
    if len(sources) <= 1:
        return [Path(root)]
    taken: set[str] = set()
    out = []
    for source in sources:
        base = Path(source).name or "ballots"
        name, k = base, 1
        while name.casefold() in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add(name.casefold())
        out.append(Path(root) / name)
    return out


def write_bundle(
    directory: str | os.PathLike[str],
    profile: Profile,
    record: CountRecord,
    given: Mapping[str, Any] | None = None,
) -> Path:
    """Write the audit bundle for one count into ``directory`` (created if missing).

    ``given`` are the options passed to the rule (seed, tie fallback, rule options);
    returns the path of ``SHA256SUMS``.
    """
    import io

    from tallyroom.ballots.formats.blt import write_blt
    from tallyroom.reports.json import dumps

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    blt = io.StringIO()
    write_blt(profile, blt)
    files = {
        BALLOTS: blt.getvalue().encode("utf-8"),
        **_candidates_file(profile),
        COUNT: (
            json.dumps(count_settings(profile, record, given), indent=2, ensure_ascii=False) + "\n"
        ).encode("utf-8"),
        RESULT: (dumps(record, indent=2) + "\n").encode("utf-8"),
    }
    lines = []
    for name, data in files.items():
        (out / name).write_bytes(data)
        lines.append(f"{sha256_bytes(data)}  {name}\n")
    sums = out / SUMS
    sums.write_text("".join(lines), encoding="utf-8")
    return sums


def _candidates_file(profile: Profile) -> dict[str, bytes]:
    """Candidate attributes (gender, slate, ...), which BLT cannot hold, as a candidates
    file (``--candidates``), when any candidate has one."""
    import csv
    import io

    attrs = sorted({k for c in profile.election.candidates for k in c.attributes})
    if not attrs:
        return {}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", *attrs])
    for c in profile.election.candidates:
        w.writerow([c.name, *(c.attributes.get(a, "") for a in attrs)])
    return {CANDIDATES: buf.getvalue().encode("utf-8")}


def verify_bundle(directory: str | os.PathLike[str]) -> list[str]:
    """Check each file against ``SHA256SUMS``; returns the problems found (empty: all good)."""
    d = Path(directory)
    problems = []
    for line in (d / SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        path = d / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: SHA-256 differs from {SUMS}")
    return problems


def rerun(directory: str | os.PathLike[str]) -> CountRecord:
    """Count a bundle's ballots again under its recorded rule and options."""
    from tallyroom.ballots.formats.blt import read_blt
    from tallyroom.rules import count

    d = Path(directory)
    settings = json.loads((d / COUNT).read_text(encoding="utf-8"))
    profile = read_blt(d / settings.get("ballots_file", BALLOTS))
    if (d / CANDIDATES).is_file():
        from tallyroom.ballots.candidates_file import with_candidates_file

        profile = with_candidates_file(profile, d / CANDIDATES)
    return count(profile, settings["method"], **settings["options"])
