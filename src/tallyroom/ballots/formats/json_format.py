"""tallyroom's own JSON ballot format, ``tallyroom.ballots/1``.

::

    {
      "format": "tallyroom.ballots/1",
      "title": "Example",
      "seats": 2,
      "candidates": [{"name": "Amy", "attributes": {"gender": "f"}}, {"name": "Bob"}],
      "withdrawn": ["Bob"],
      "tie_order": ["Amy", "Bob"],
      "kind": "ranked",
      "ballots": [
        {"ranking": [["Amy"], ["Bob", "Chuck"]], "weight": "3"},
        {"ranking": [["Chuck"]], "weight": "2.5"}
      ],
      "invalid": {"blank": "4"},
      "rules": {"overvote": "exhaust", "skipped_ranks": null, "duplicates": "skip"}
    }

A ranking is a list of places, each a list of names (two or more names: ranked equal).
Approval ballots (``"kind": "approval"``) have ``"approved": ["Amy", "Chuck"]`` instead.
Weights and invalid counts are strings holding a whole number, a decimal or a ratio
(``"3"``, ``"2.5"``, ``"1/3"``) so that no float ever carries a weight; JSON whole numbers
are taken too.  ``withdrawn``, ``tie_order``, ``invalid``, ``rules``, ``title`` and
``attributes`` may be left out.  Writing and reading back keeps everything in the profile
but its ``source`` (which is the file read).

Errors name the line and column of the value at fault.  A file larger than
:data:`MAX_BYTES` is refused before it is read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from tallyroom.ballots.formats.textio import check_digits, open_binary, shown
from tallyroom.ballots.model import (
    BLANK,
    NAME_EXPECTED,
    BallotRules,
    Candidate,
    Election,
    Preference,
    Profile,
    Weight,
    clean_ranking,
    name_key,
    name_problem,
)
from tallyroom.errors import BallotFileError, ElectionError, printable

if TYPE_CHECKING:
    from tallyroom.ballots.formats import ReadOptions, Source

FORMAT_ID = "tallyroom.ballots/1"
MAX_BYTES = 256 << 20  # 256 MiB: unique ballots x weights never come near it
_CHUNK = 1 << 20
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")
_WEIGHT = re.compile(r"[0-9]+(?:\.[0-9]+)?|[0-9]+/[0-9]+")
_KEYS = {
    "format",
    "title",
    "seats",
    "candidates",
    "withdrawn",
    "tie_order",
    "kind",
    "ballots",
    "invalid",
    "rules",
}


def read_json(
    path: str | os.PathLike[str] | BinaryIO,
    rules: BallotRules | None = None,
    *,
    seats: int | None = None,
    source: str | None = None,
) -> Profile:
    """Read a ``tallyroom.ballots/1`` JSON file.

    ``rules`` (default: the rules recorded in the file) are applied to each ballot as it is
    read, with equal rankings kept; ``seats`` overrides the file's seats.
    """
    stream, name = open_binary(path)
    name = source or name
    try:
        text = _read_text(stream, name)
        check_digits(text, name)
    finally:
        if not hasattr(path, "read"):
            stream.close()
    return _Reader(text, name).profile(rules, seats)


def _read_text(stream: BinaryIO, name: str) -> str:
    """The whole file as text, refusing binary data, non-JSON starts and huge files early."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        size = None
    if size is not None and size > MAX_BYTES:
        raise BallotFileError(
            name,
            None,
            None,
            f"a file of {size:,} bytes",
            f"a JSON ballot file of at most {MAX_BYTES >> 20} MiB",
        )
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        if total == 0:
            body = chunk.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
            if body and body[:1] != b"{":
                nul = chunk.find(b"\x00")
                if nul >= 0 or any(b < 32 and b not in (9, 10, 13) for b in body[:1]):
                    raise BallotFileError(name, 1, 1, "binary data", "a JSON text file")
                raise BallotFileError(
                    name,
                    1,
                    1,
                    shown(body[:20].decode("utf-8", "replace")),
                    "a JSON object '{' (a tallyroom.ballots/1 file)",
                )
        nul = chunk.find(b"\x00")
        if nul >= 0:
            before = b"".join(chunks) + chunk[:nul]
            line = before.count(b"\n") + 1
            col = len(before) - (before.rfind(b"\n") + 1) + 1
            raise BallotFileError(name, line, col, "binary data (byte 0x00)", "a JSON text file")
        total += len(chunk)
        if total > MAX_BYTES:
            raise BallotFileError(
                name,
                None,
                None,
                f"more than {MAX_BYTES >> 20} MiB",
                f"a JSON ballot file of at most {MAX_BYTES >> 20} MiB",
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise BallotFileError(name, None, None, "an empty file", "a JSON ballot file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise BallotFileError(
            name, line, col, f"a byte that is not UTF-8 (0x{data[e.start]:02x})", "UTF-8 text"
        ) from None


class _Reader:
    """Walks the top-level object, keeping where each value starts for error messages."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.values: dict[str, Any] = {}
        self.where: dict[str, int] = {}
        self.ballots_at: list[int] = []
        self._parse_top()

    # -- positions ------------------------------------------------------------------------
    def _line_col(self, pos: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, pos) + 1
        return line, pos - (self.text.rfind("\n", 0, pos) + 1) + 1

    def fail(self, pos: int | None, found: str, expected: str) -> BallotFileError:
        if pos is None:
            return BallotFileError(self.name, None, None, found, expected)
        line, col = self._line_col(pos)
        return BallotFileError(self.name, line, col, found, expected)

    def _decode(self, pos: int) -> tuple[Any, int]:
        try:
            return _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as e:
            raise self.fail(e.pos, f"malformed JSON ({e.msg})", "valid JSON") from None
        except RecursionError:
            raise self.fail(pos, "JSON nested too deeply", "a tallyroom.ballots/1 file") from None

    def _skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def _expect(self, pos: int, char: str, expected: str) -> int:
        pos = self._skip(pos)
        if pos >= len(self.text):
            raise self.fail(pos, "the end of the file", expected)
        if self.text[pos] != char:
            raise self.fail(pos, shown(self.text[pos : pos + 20]), expected)
        return pos + 1

    def _parse_top(self) -> None:
        text = self.text
        pos = self._expect(0, "{", "a JSON object '{'")
        pos = self._skip(pos)
        if text.startswith("}", pos):
            pos += 1
        else:
            while True:
                pos = self._skip(pos)
                if not text.startswith('"', pos):
                    raise self.fail(
                        pos,
                        shown(text[pos : pos + 20]) if pos < len(text) else "the end of the file",
                        "a key in double quotes",
                    )
                key_at = pos
                key, pos = self._decode(pos)
                pos = self._expect(pos, ":", "':' after the key")
                pos = self._skip(pos)
                if key in self.where:
                    raise self.fail(key_at, f"the key {key!r} a second time", "each key once")
                self.where[key] = pos
                if key == "ballots":
                    pos = self._scan_ballots(pos)
                else:
                    self.values[key], pos = self._decode(pos)
                pos = self._skip(pos)
                if text.startswith(",", pos):
                    pos += 1
                    continue
                pos = self._expect(pos, "}", "',' or '}' after a value")
                break
        pos = self._skip(pos)
        if pos < len(text):
            raise self.fail(pos, shown(text[pos : pos + 20]), "nothing after the JSON object")

    def _scan_ballots(self, pos: int) -> int:
        """Note where each ballot starts (they are decoded later, one at a time)."""
        text = self.text
        pos = self._expect(pos, "[", "a list of ballots '['")
        pos = self._skip(pos)
        if text.startswith("]", pos):
            return pos + 1
        while True:
            pos = self._skip(pos)
            self.ballots_at.append(pos)
            _, pos = self._decode(pos)
            pos = self._skip(pos)
            if text.startswith(",", pos):
                pos += 1
                continue
            return self._expect(pos, "]", "',' or ']' after a ballot")

    # -- values ---------------------------------------------------------------------------
    def _at(self, key: str) -> int | None:
        return self.where.get(key)

    def _weight(self, value: Any, pos: int | None, what: str) -> Weight:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            kind = (
                "a JSON number with a fraction"
                if isinstance(value, float)
                else shown(json.dumps(value))
            )
            raise self.fail(pos, f"{what} {kind}", f'{what} as a string such as "3" or "2.5"')
        if isinstance(value, int):
            w: Weight = value
        else:
            t = value.strip()
            if not _WEIGHT.fullmatch(t) or re.fullmatch(r"[0-9]+/0+", t):
                found = f"a negative {what}" if t.startswith("-") else f"{what} {shown(value)}"
                raise self.fail(
                    pos, found, f"{what}: a whole number, a decimal or a ratio, as a string"
                )
            f = Fraction(t)
            w = int(f) if f.denominator == 1 else f
        if w < 0:
            raise self.fail(pos, f"a negative {what}", f"a positive {what}")
        return w

    def profile(self, rules: BallotRules | None, seats_override: int | None) -> Profile:
        v = self.values
        fmt = v.get("format")
        if fmt != FORMAT_ID:
            raise self.fail(
                self._at("format"),
                f"format {json.dumps(fmt)}" if "format" in v else 'no "format" key',
                f'"format": "{FORMAT_ID}"',
            )
        unknown = sorted(set(self.where) - _KEYS)
        if unknown:
            raise self.fail(
                self._at(unknown[0]),
                f"the key {unknown[0]!r}",
                "only the keys: " + ", ".join(sorted(_KEYS)),
            )
        title = v.get("title", "")
        if not isinstance(title, str):
            raise self.fail(self._at("title"), "a title that is not a string", "a string")
        # candidates
        cands = v.get("candidates")
        if not isinstance(cands, list) or not cands:
            raise self.fail(
                self._at("candidates"),
                "no list of candidates" if cands is None else "candidates that are not a list",
                'a list "candidates": [{"name": ...}, ...] with at least one candidate',
            )
        candidates: list[Candidate] = []
        index: dict[str, int] = {}
        name_keys: dict[str, str] = {}
        for i, c in enumerate(cands):
            if isinstance(c, str):
                c = {"name": c}
            if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
                raise self.fail(
                    self._at("candidates"),
                    f"candidate {i + 1} without a name",
                    '{"name": "...", "attributes": {...}}',
                )
            attrs = c.get("attributes", {})
            extra = set(c) - {"name", "attributes"}
            if (
                extra
                or not isinstance(attrs, dict)
                or not all(isinstance(k, str) and isinstance(x, str) for k, x in attrs.items())
            ):
                raise self.fail(
                    self._at("candidates"),
                    f"candidate {c['name']!r} with {'key ' + repr(sorted(extra)[0]) if extra else 'attributes that are not strings'}",
                    'a candidate as {"name": "...", "attributes": {"key": "value"}}',
                )
            if c["name"] in index:
                raise self.fail(
                    self._at("candidates"),
                    f"the candidate {c['name']!r} twice",
                    "a different name for each candidate",
                )
            problem = name_problem(c["name"]) or (
                None
                if name_keys.setdefault(name_key(c["name"]), c["name"]) == c["name"]
                else f"the candidate name '{printable(c['name'], 80)}', which differs from "
                f"'{printable(name_keys[name_key(c['name'])], 80)}' only in case or Unicode form"
            )
            if problem is not None:
                # the line of the name itself, where it is written as json.dumps writes it
                start = self._at("candidates") or 0
                at = self.text.find(json.dumps(c["name"], ensure_ascii=False), start)
                raise self.fail(at if at >= 0 else start, problem, NAME_EXPECTED)
            index[c["name"]] = i
            candidates.append(Candidate(c["name"], attrs))

        def names_list(key: str) -> list[int]:
            value = v.get(key, [])
            if value is None:
                return []
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise self.fail(
                    self._at(key), f"{key} that is not a list of names", f'"{key}": ["name", ...]'
                )
            out = []
            for x in value:
                if x not in index:
                    raise self.fail(self._at(key), f"{x!r} in {key}", "a name from the candidates")
                out.append(index[x])
            return out

        withdrawn = names_list("withdrawn")
        tie_order = names_list("tie_order") if v.get("tie_order") else None
        # seats
        seats = v.get("seats", None)
        if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
            raise self.fail(
                self._at("seats"),
                f"seats {json.dumps(seats)}" if "seats" in v else 'no "seats"',
                "a whole number of seats, at least 1",
            )
        if seats > len(candidates):
            raise self.fail(
                self._at("seats"),
                f"{seats} seats for {len(candidates)} candidates",
                "no more seats than candidates",
            )
        if seats_override is not None:
            if seats_override > len(candidates):
                raise ElectionError(
                    f"{self.name}: {seats_override} seats for {len(candidates)} candidates; "
                    "there cannot be more seats than candidates"
                )
            seats = seats_override
        kind = v.get("kind", "ranked")
        if kind not in ("ranked", "approval"):
            raise self.fail(self._at("kind"), f"kind {json.dumps(kind)}", '"ranked" or "approval"')
        # rules
        file_rules = self._rules(v.get("rules"))
        use = rules if rules is not None else file_rules
        # invalid
        invalid: dict[str, Weight] = {}
        inv = v.get("invalid", {})
        if not isinstance(inv, dict):
            raise self.fail(
                self._at("invalid"),
                "invalid counts that are not an object",
                '{"reason": "count", ...}',
            )
        for reason, count in inv.items():
            w = self._weight(count, self._at("invalid"), "invalid count")
            if w:
                invalid[reason] = w
        election = Election(
            candidates=tuple(candidates),
            seats=seats,
            withdrawn=frozenset(withdrawn),
            title=title,
            tie_order=tuple(tie_order) if tie_order else None,
        )
        ballots: list[tuple[tuple, Weight]] = []
        for ballot, w in self._ballots(kind, index, use, invalid):
            ballots.append((ballot, w))
        return Profile.build(
            election, ballots, kind=kind, invalid=invalid, rules=use, source=self.name
        )

    def _rules(self, value: Any) -> BallotRules:
        if value is None:
            return BallotRules()
        pos = self._at("rules")
        if not isinstance(value, dict):
            raise self.fail(
                pos,
                "rules that are not an object",
                '{"overvote": ..., "skipped_ranks": ..., "duplicates": ...}',
            )
        extra = set(value) - {"overvote", "skipped_ranks", "duplicates"}
        if extra:
            raise self.fail(
                pos, f"the rule {sorted(extra)[0]!r}", "overvote, skipped_ranks, duplicates"
            )
        overvote = value.get("overvote", "exhaust")
        skipped = value.get("skipped_ranks", None)
        duplicates = value.get("duplicates", "skip")
        if overvote not in ("exhaust", "skip"):
            raise self.fail(pos, f"overvote {json.dumps(overvote)}", '"exhaust" or "skip"')
        if duplicates not in ("exhaust", "skip"):
            raise self.fail(pos, f"duplicates {json.dumps(duplicates)}", '"exhaust" or "skip"')
        if skipped is not None and (
            isinstance(skipped, bool) or not isinstance(skipped, int) or skipped < 0
        ):
            raise self.fail(pos, f"skipped_ranks {json.dumps(skipped)}", "null or a whole number")
        return BallotRules(overvote=overvote, skipped_ranks=skipped, duplicates=duplicates)

    def _ballots(
        self, kind: str, index: dict[str, int], rules: BallotRules, invalid: dict[str, Weight]
    ) -> Iterator[tuple[tuple, Weight]]:
        key = "ranking" if kind == "ranked" else "approved"
        merged: dict[tuple, Weight] = {}
        for pos in self.ballots_at:
            b, _ = self._decode(pos)
            if not isinstance(b, dict) or key not in b or set(b) - {key, "weight"}:
                raise self.fail(
                    pos, shown(json.dumps(b), 60), f'a ballot {{"{key}": [...], "weight": "1"}}'
                )
            w = self._weight(b.get("weight", "1"), pos, "weight")
            if w == 0:
                raise self.fail(pos, "weight 0", "a positive weight")
            value = b[key]
            if not isinstance(value, list):
                raise self.fail(pos, f"a {key} that is not a list", f'"{key}": [...]')
            if kind == "ranked":
                marks: list[Preference | None] = []
                for place in value:
                    if isinstance(place, str):
                        place = [place]
                    if not isinstance(place, list) or not all(isinstance(x, str) for x in place):
                        raise self.fail(
                            pos,
                            shown(json.dumps(place)),
                            'a place as a list of names, ["Amy"] or ["Bob", "Chuck"]',
                        )
                    group = tuple(self._candidate(x, index, pos) for x in place)
                    marks.append(None if not group else group[0] if len(group) == 1 else group)
                k: tuple = tuple(marks)
            else:
                if not all(isinstance(x, str) for x in value):
                    raise self.fail(pos, shown(json.dumps(value), 60), "a list of names")
                k = tuple(sorted({self._candidate(x, index, pos) for x in value}))
            merged[k] = merged.get(k, 0) + w
        for k, w in merged.items():
            if kind == "ranked":
                ballot, reason = clean_ranking(k, rules, keep_equal=True)
            else:
                ballot, reason = k, (None if k else BLANK)
            if reason is None:
                yield ballot, w
            else:
                invalid[reason] = invalid.get(reason, 0) + w

    def _candidate(self, name: str, index: dict[str, int], pos: int) -> int:
        i = index.get(name)
        if i is None:
            raise self.fail(pos, f"the name {name!r}", "a name from the candidates")
        return i


# -- writing ------------------------------------------------------------------------------------
def weight_text(w: Weight) -> str:
    """A weight as an exact string: ``"3"``, ``"2.5"`` or ``"1/3"``."""
    if isinstance(w, int):
        return str(w)
    if w.denominator == 1:
        return str(w.numerator)
    d = w.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d != 1:
        return f"{w.numerator}/{w.denominator}"
    places = 0
    while (w * 10**places).denominator != 1:
        places += 1
    whole, frac = divmod(abs(w.numerator) * 10**places // w.denominator, 10**places)
    sign = "-" if w < 0 else ""
    return f"{sign}{whole}.{frac:0{places}d}"


def to_json(profile: Profile) -> dict[str, Any]:
    """The profile as a ``tallyroom.ballots/1`` JSON object."""
    e = profile.election
    names = e.names

    def place(p: Preference) -> list[str]:
        return [names[c] for c in p] if isinstance(p, tuple) else [names[p]]

    ballots: list[dict[str, Any]] = []
    for b, w in zip(profile.ballots, profile.weights):
        if profile.kind == "ranked":
            ballots.append({"ranking": [place(p) for p in b], "weight": weight_text(w)})
        else:
            ballots.append({"approved": [names[c] for c in b], "weight": weight_text(w)})
    out: dict[str, Any] = {
        "format": FORMAT_ID,
        "title": e.title,
        "seats": e.seats,
        "candidates": [
            {"name": c.name, "attributes": dict(c.attributes)} if c.attributes else {"name": c.name}
            for c in e.candidates
        ],
        "withdrawn": [names[i] for i in sorted(e.withdrawn)],
    }
    if e.tie_order:
        out["tie_order"] = [names[i] for i in e.tie_order]
    out["kind"] = profile.kind
    out["ballots"] = ballots
    out["invalid"] = {k: weight_text(w) for k, w in profile.invalid.items()}
    out["rules"] = profile.rules.describe()
    return out


def write_json(profile: Profile, out: TextIO) -> None:
    """Write a profile as ``tallyroom.ballots/1`` JSON, one ballot per line."""
    obj = to_json(profile)
    ballots = obj.pop("ballots")
    invalid = obj.pop("invalid")
    rules = obj.pop("rules")
    out.write("{\n")
    for k, val in obj.items():
        out.write(f"  {json.dumps(k)}: {json.dumps(val, ensure_ascii=False)},\n")
    out.write('  "ballots": [')
    for i, b in enumerate(ballots):
        out.write(("," if i else "") + "\n    " + json.dumps(b, ensure_ascii=False))
    out.write("\n  ],\n" if ballots else "],\n")
    out.write(f'  "invalid": {json.dumps(invalid, ensure_ascii=False)},\n')
    out.write(f'  "rules": {json.dumps(rules)}\n')
    out.write("}\n")


# -- the registry's entry (tallyroom.ballots.formats) ------------------------------------------
def sniff(head: bytes) -> bool:
    """A JSON object."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def read_source(source: Source, options: ReadOptions) -> Profile:
    """:func:`read_json` as the registry calls every reader (None rules: the file's own)."""
    return read_json(source, options.rules, seats=options.seats)
