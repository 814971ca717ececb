"""An RCTab (Universal RCV Tabulator) contest configuration, read as it is, and counted.

::

    from tallyroom.rctab import load_config, count_config

    contest = load_config("contest_config.json")   # sources read, rules mapped
    record = count_config(contest)                  # the count, RCTab's tie-breaks replayed

:func:`load_config` reads the ``cvrFileSources`` (each source's provider, columns, labels),
the ``candidates`` (names, ``aliases``, ``code``, ``excluded``) and every ``rules`` field
(``config_file_documentation.txt`` of RCTab), and gives a profile, a tallyroom rule and
its options.  A field RCTab does not document is refused, and so is a setting tallyroom
cannot honour yet (a named field and value, never ignored).

RCTab's ``random`` tie-break is reproduced exactly: RCTab draws with Java's
``java.util.Random`` (a 48-bit linear congruential generator, fully specified in its
documentation) seeded with ``randomSeed``, sorts the tied candidates alphabetically and takes
``floor(nextDouble() * n)``.  ``generatePermutation`` shuffles the alphabetical list with
Java's ``Collections.shuffle`` on the same generator, once, and uses it as the candidate
order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from tallyroom.ballots.formats.rctab_cvr import (
    OVERVOTE_NAME,
    CvrRecord,
    cdf_cvr_report,
    write_rctab_cvr_csv,
)
from tallyroom.ballots.model import (
    NEVER_ELECTED,
    BallotRules,
    Candidate,
    Election,
    Profile,
    Weight,
)
from tallyroom.ballots.model import OVERVOTE as OVERVOTE_MARK
from tallyroom.errors import BallotFileError, RuleError
from tallyroom.record import CountRecord
from tallyroom.reports.rctab import (  # noqa: F401 - java_string_hash re-exported
    java_hash_set_order,
    java_string_hash,
)

UWI = "Undeclared Write-ins"

#: every field of an RCTab configuration (config_file_documentation.txt, and the fields of
#: older versions found in RCTab's own test configs: candidate ``code``, ``cutoffElimination``)
TOP_FIELDS = {"tabulatorVersion", "outputSettings", "cvrFileSources", "candidates", "rules"}
OUTPUT_FIELDS = {
    "contestName",
    "outputDirectory",
    "contestDate",
    "contestJurisdiction",
    "contestOffice",
    "tabulateByPrecinct",
    "tabulateByBatch",
    "generateCdfJson",
}
SOURCE_FIELDS = {
    "provider",
    "filePath",
    "contestId",
    "firstVoteColumnIndex",
    "firstVoteRowIndex",
    "idColumnIndex",
    "batchColumnIndex",
    "precinctColumnIndex",
    "overvoteDelimiter",
    "overvoteLabel",
    "skippedRankLabel",
    "undervoteLabel",
    "undeclaredWriteInLabel",
    "treatBlankAsUndeclaredWriteIn",
}
CANDIDATE_FIELDS = {"name", "aliases", "code", "excluded"}
RULE_FIELDS = {
    "tiebreakMode",
    "overvoteRule",
    "winnerElectionMode",
    "numberOfWinners",
    "decimalPlacesForVoteArithmetic",
    "minimumVoteThreshold",
    "maxSkippedRanksAllowed",
    "maxRankingsAllowed",
    "randomSeed",
    "multiSeatBottomsUpPercentageThreshold",
    "rulesDescription",
    "nonIntegerWinningThreshold",
    "hareQuota",
    "batchElimination",
    "continueUntilTwoCandidatesRemain",
    "exhaustOnDuplicateCandidate",
    "doesFirstRoundDetermineThreshold",
    "stopTabulationEarlyAfterRound",
    "treatBlankAsUndeclaredWriteIn",
    "cutoffElimination",
    "bottomsUpPercentageThreshold",
}
OVERVOTE = {
    "exhaustImmediately": "exhaust",
    "alwaysSkipToNextRank": "skip",
    "exhaustIfMultipleContinuing": "exhaust-if-multiple-continuing",
}
TIE_MODES = (
    "random",
    "stopCountingAndAsk",
    "previousRoundCountsThenRandom",
    "previousRoundCountsThenAsk",
    "useCandidateOrder",
    "generatePermutation",
)
#: rules whose ties are all for exclusion (a tie order is read from its end)
SINGLE_EXCLUSION = ("irv", "bottoms-up", "multi-pass-irv")
#: the modes counted with irv (multiPassIrv: irv for each pass)
IRV_MODES = ("singleWinnerMajority", "multiPassIrv")
#: the providers with a reader here (the others are refused by name)
PROVIDERS = ("ess", "cdf", "dominion", "clearBallot", "hart", "genericCsv")


class RctabConfigError(BallotFileError):
    """An RCTab configuration that cannot be read or counted here, with the field."""

    def __init__(self, path: str, where: str, found: str, expected: str) -> None:
        super().__init__(path, None, None, f"{where}: {found}"[:300], expected)


@dataclass(frozen=True)
class RctabContest:
    """An RCTab configuration read: the profile, tallyroom's rule and options."""

    path: str
    profile: Profile
    rule: str
    options: dict[str, Any]
    #: RCTab's tiebreakMode and randomSeed (``random`` ties are replayed by count_config)
    tiebreak: str
    seed: int | None
    #: the settings read but not acted on by the count (output settings), for a notice
    notes: tuple[str, ...] = ()
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: RCTab's stopTabulationEarlyAfterRound: the count's record ends after that round
    stop_after: int | None = None
    #: with outputSettings.tabulateByPrecinct (tabulateByBatch): each precinct's (batch's)
    #: papers, a profile over the contest's candidates; :func:`tabulate_part` counts them
    #: through the contest's rounds
    precincts: Mapping[str, Profile] = field(default_factory=dict, repr=False)
    batches: Mapping[str, Profile] = field(default_factory=dict, repr=False)


# -- java.util.Random ---------------------------------------------------------------------
class JavaRandom:
    """``java.util.Random``: the 48-bit LCG its documentation specifies (setSeed, next,
    nextInt(bound), nextDouble), bit for bit."""

    MULT = 0x5DEECE66D
    MASK = (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self.seed = (seed ^ self.MULT) & self.MASK

    def next(self, bits: int) -> int:
        self.seed = (self.seed * self.MULT + 0xB) & self.MASK
        r = self.seed >> (48 - bits)
        return r - (1 << 32) if r >= 1 << 31 else r  # the (int) cast: signed 32 bits

    def next_int(self, bound: int) -> int:
        if bound <= 0:
            raise ValueError("bound must be positive")
        if bound & -bound == bound:  # a power of two
            return (bound * (self.next(31) & 0x7FFFFFFF)) >> 31
        while True:
            bits = self.next(31) & 0x7FFFFFFF
            val = bits % bound
            if bits - val + (bound - 1) < 1 << 31:
                return val

    def next_double(self) -> float:
        # (((long) next(26) << 27) + next(27)) * 0x1.0p-53; the draw, not a count, is a float
        return ((self.next(26) << 27) + self.next(27)) * 2.0**-53


def java_shuffle(items: Sequence[str], rnd: JavaRandom) -> list[str]:
    """``Collections.shuffle(list, rnd)`` for a random-access list."""
    out = list(items)
    for i in range(len(out), 1, -1):
        j = rnd.next_int(i)
        out[i - 1], out[j] = out[j], out[i - 1]
    return out


def java_pick(tied: Sequence[str], rnd: JavaRandom, *, hash_order: bool = False) -> str:
    """RCTab's ``random`` tie-break: the tied names sorted, ``floor(nextDouble() * n)``.

    ``hash_order``: the order RCTab's ``previousRoundCountsThenRandom`` draws from when the
    earlier rounds did not part the tied candidates: it looked them up round by round
    through a ``HashSet`` (Tiebreak.doPreviousRounds), so they come in its iteration order.
    """
    ordered = sorted(tied)
    if hash_order:
        ordered = java_hash_set_order(ordered)
    # the index is floor(d * n) of a double in [0, 1) times an int: exact in binary64
    return ordered[int(rnd.next_double() * len(ordered))]


# -- reading a configuration ----------------------------------------------------------------
def _unknown(path: str, where: str, obj: Mapping[str, Any], known: set[str]) -> None:
    extra = sorted(set(obj) - known)
    if extra:
        raise RctabConfigError(
            path,
            where,
            f"field {extra[0]!r}",
            "a field RCTab documents: " + ", ".join(sorted(known)),
        )


def _int(path: str, where: str, value: Any, *, lo: int, default: int | None = None) -> int:
    if value in ("", None) and default is not None:
        return default
    try:
        n = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        n = None
    if n is None or n < lo:
        raise RctabConfigError(path, where, repr(value)[:40], f"a whole number of {lo} or more")
    return n


def load_config(
    config_path: str | os.PathLike[str], *, records: list[CvrRecord] | None = None
) -> RctabContest:
    """Read an RCTab configuration and its CVR files (paths relative to the config).

    ``records``: a list filled with every cast-vote record as read, one by one (for RCTab's
    conversions, :func:`rctab_cvr_csv` and :func:`cdf_cvr_json`); the ES&S, NIST CDF JSON
    and Dominion sources give them, another source is refused by name."""
    path = os.fspath(config_path)
    try:
        cfg = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BallotFileError(path, None, None, "no such file", "an RCTab config") from None
    except UnicodeDecodeError:
        raise BallotFileError(path, None, None, "bytes that are not UTF-8", "JSON") from None
    except json.JSONDecodeError as e:
        raise BallotFileError(path, e.lineno, e.colno, e.msg, "an RCTab config (JSON)") from None
    if not isinstance(cfg, dict):
        raise RctabConfigError(path, "top level", "not an object", "an RCTab config object")
    _unknown(path, "top level", cfg, TOP_FIELDS)
    for key in ("cvrFileSources", "candidates", "rules"):
        if key not in cfg:
            raise RctabConfigError(path, "top level", f"no {key!r}", f"a {key!r} field")
    output = cfg.get("outputSettings") or {}
    _unknown(path, "outputSettings", output, OUTPUT_FIELDS)
    rules = cfg["rules"]
    if not isinstance(rules, dict):
        raise RctabConfigError(path, "rules", "not an object", "the rules object")
    _unknown(path, "rules", rules, RULE_FIELDS)
    if not isinstance(cfg["candidates"], list) or not isinstance(cfg["cvrFileSources"], list):
        raise RctabConfigError(path, "candidates/cvrFileSources", "not a list", "JSON arrays")

    # candidates: names in the config's order (useCandidateOrder), aliases and codes
    names: list[str] = []
    alias: dict[str, str] = {}
    excluded: list[str] = []
    for i, c in enumerate(cfg["candidates"]):
        where = f"candidates[{i}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            raise RctabConfigError(path, where, "no name", "a candidate with a name")
        _unknown(path, where, c, CANDIDATE_FIELDS)
        n = c["name"]
        if n in names:
            raise RctabConfigError(path, where, f"{n!r} again", "each candidate once")
        names.append(n)
        for a in list(c.get("aliases") or []) + ([c["code"]] if c.get("code") else []):
            alias[str(a)] = n
        if c.get("excluded"):
            excluded.append(n)

    # rules
    mode = rules.get("winnerElectionMode")
    overvote = rules.get("overvoteRule")
    tie = rules.get("tiebreakMode")
    if overvote not in OVERVOTE:
        raise RctabConfigError(
            path, "rules.overvoteRule", repr(overvote), "one of " + ", ".join(OVERVOTE)
        )
    if tie not in TIE_MODES:
        raise RctabConfigError(
            path, "rules.tiebreakMode", repr(tie), "one of " + ", ".join(TIE_MODES)
        )
    skipped_raw = str(rules.get("maxSkippedRanksAllowed", "")).strip()
    skipped = (
        None
        if skipped_raw == "unlimited"
        else _int(path, "rules.maxSkippedRanksAllowed", skipped_raw, lo=0)
    )
    max_raw = str(rules.get("maxRankingsAllowed", "")).strip()
    max_rankings = (
        len(names) if max_raw == "max" else _int(path, "rules.maxRankingsAllowed", max_raw, lo=1)
    )
    seats = _int(path, "rules.numberOfWinners", rules.get("numberOfWinners"), lo=0)
    ballot_rules = BallotRules(
        overvote=OVERVOTE[overvote],  # type: ignore[arg-type]
        skipped_ranks=skipped,
        duplicates="exhaust" if rules.get("exhaustOnDuplicateCandidate") else "skip",
    )
    seed: int | None = None
    if tie in ("random", "previousRoundCountsThenRandom", "generatePermutation"):
        seed = _int(path, "rules.randomSeed", rules.get("randomSeed"), lo=-(1 << 47))

    def refuse(field_name: str, value: Any, why: str) -> RctabConfigError:
        return RctabConfigError(
            path, f"rules.{field_name}", f"{value!r} ({why})", "a setting tallyroom can count"
        )

    percentage_mode = mode == "bottomsUpUsingPercentageThreshold"
    for key, off in (
        ("minimumVoteThreshold", ("", "0", 0, None)),
        ("doesFirstRoundDetermineThreshold", (False, None)),
        ("cutoffElimination", (False, None)),
    ):
        if key in ("doesFirstRoundDetermineThreshold", "cutoffElimination") and percentage_mode:
            continue
        if key == "doesFirstRoundDetermineThreshold" and mode in IRV_MODES:
            continue  # irv's first_round_threshold
        if rules.get(key) not in off:
            why = "not supported yet"
            if key == "doesFirstRoundDetermineThreshold":
                why = f"not supported with {mode} yet"
            raise refuse(key, rules.get(key), why)
    if tie in ("stopCountingAndAsk", "previousRoundCountsThenAsk"):
        # RCTab asks the operator at a tie; tallyroom takes the answers as decisions
        pass

    options: dict[str, Any] = {}
    stop_raw = rules.get("stopTabulationEarlyAfterRound")
    stop_after = (
        None
        if stop_raw in ("", None)
        else _int(path, "rules.stopTabulationEarlyAfterRound", stop_raw, lo=1)
    )
    order = list(names)
    if tie == "generatePermutation":
        assert seed is not None
        order = java_shuffle(sorted(names), JavaRandom(seed))
    if mode == "singleWinnerMajority":
        if seats != 1:
            raise refuse("numberOfWinners", seats, "singleWinnerMajority fills one seat")
        rule = "irv"
        options["rctab"] = True
        options["batch"] = bool(rules.get("batchElimination"))
        if rules.get("continueUntilTwoCandidatesRemain"):
            options["continue_until_two"] = True
        if rules.get("doesFirstRoundDetermineThreshold"):
            options["first_round_threshold"] = True
        if tie.startswith("previousRoundCounts"):
            options["tie_history"] = "backward"
    elif mode in (
        "multiWinnerAllowMultipleWinnersPerRound",
        "multiWinnerAllowOnlyOneWinnerPerRound",
    ):
        if seats < 2:
            raise refuse("numberOfWinners", seats, f"{mode} fills two seats or more")
        rule = "minneapolis-stv"
        places = _int(
            path,
            "rules.decimalPlacesForVoteArithmetic",
            rules.get("decimalPlacesForVoteArithmetic"),
            lo=1,
        )
        if places != 4:
            options["places"] = places
        # RCTab's threshold (Tabulator.setWinningThreshold): Droop floor(V / (S + 1)) plus
        # one unit (whole, or of the last of d places when nonIntegerWinningThreshold);
        # Hare V / S rounded up (to a whole number, or at d places), elected on reaching it
        non_integer = bool(rules.get("nonIntegerWinningThreshold"))
        if rules.get("hareQuota"):
            options["quota"] = "hare"
            options["quota_form"] = "round-up" if non_integer else "whole-round-up"
        elif non_integer:
            options["quota_form"] = "places-plus-unit"
        if mode == "multiWinnerAllowOnlyOneWinnerPerRound":
            options["elect_per_stage"] = "one"
        # RCTab counts more seats than candidates, electing every candidate (PR #823)
        options["more_seats_than_candidates"] = "elect-all"
        for key in ("batchElimination", "continueUntilTwoCandidatesRemain"):
            if rules.get(key):
                raise refuse(key, True, f"not supported with {mode} yet")
    elif mode in ("bottomsUp", "bottomsUpUsingPercentageThreshold", "multiPassIrv"):
        rule = {"multiPassIrv": "multi-pass-irv"}.get(str(mode), "bottoms-up")
        options["rctab"] = True
        if mode == "bottomsUp" and seats < 2:
            raise refuse("numberOfWinners", seats, "bottomsUp fills two seats or more")
        if mode == "multiPassIrv":
            if seats < 2:
                raise refuse("numberOfWinners", seats, "multiPassIrv fills two seats or more")
            options["batch"] = bool(rules.get("batchElimination"))
            if rules.get("continueUntilTwoCandidatesRemain"):
                options["continue_until_two"] = True
            if rules.get("doesFirstRoundDetermineThreshold"):
                options["first_round_threshold"] = True
            if tie.startswith("previousRoundCounts"):
                options["tie_history"] = "backward"
        if percentage_mode:
            if seats != 0:
                raise refuse("numberOfWinners", seats, f"{mode} takes 0 (the threshold decides)")
            raw = str(rules.get("multiSeatBottomsUpPercentageThreshold", "")).strip()
            try:
                pct = Fraction(raw)
            except (ValueError, ZeroDivisionError):
                pct = Fraction(-1)
            if not 0 < pct <= 100:
                raise refuse("multiSeatBottomsUpPercentageThreshold", raw, "a percentage 1 to 100")
            options["percentage"] = pct
            options["first_round_threshold"] = bool(rules.get("doesFirstRoundDetermineThreshold"))
            options["cutoff"] = bool(rules.get("cutoffElimination"))
    else:
        raise refuse("winnerElectionMode", mode, "not supported yet")
    if tie in ("useCandidateOrder", "generatePermutation"):
        # RCTab elects the earliest and eliminates the latest of the order; tallyroom's
        # order decides for the earliest, so single-winner ties (eliminations) use it reversed
        options["tie_order"] = order[::-1] if rule in SINGLE_EXCLUSION else order
    elif tie in ("stopCountingAndAsk", "previousRoundCountsThenAsk"):
        options["tie_fallback"] = "decision"
    else:
        options["tie_fallback"] = "decision"  # replayed with java.util.Random by count_config

    # sources
    base = Path(path).parent
    profiles: list[Profile] = []
    uwi_declared = False
    by_precinct_on = bool(output.get("tabulateByPrecinct"))
    by_batch_on = bool(output.get("tabulateByBatch"))
    # per source: (its profile's index, precinct -> raw marks, batch -> raw marks)
    parts: list[tuple[int, Mapping[str, Mapping[tuple, Any]], Mapping[str, Mapping[tuple, Any]]]]
    parts = []
    for i, src in enumerate(cfg["cvrFileSources"]):
        where = f"cvrFileSources[{i}]"
        if not isinstance(src, dict):
            raise RctabConfigError(path, where, "not an object", "a CVR source object")
        _unknown(path, where, src, SOURCE_FIELDS)
        provider = src.get("provider")
        file_path = base / str(src.get("filePath", ""))
        if provider not in PROVIDERS:
            raise RctabConfigError(
                path,
                f"{where}.provider",
                repr(provider),
                "a provider tallyroom reads: " + ", ".join(PROVIDERS),
            )
        uwi_label = str(src.get("undeclaredWriteInLabel") or "")
        uwi_declared = uwi_declared or bool(uwi_label)
        record_source = str(src.get("filePath", ""))
        is_cdf_json = provider == "cdf" and file_path.suffix.lower() == ".json"
        if records is not None and not (provider in ("ess", "dominion") or is_cdf_json):
            raise RctabConfigError(
                path,
                f"{where}.provider",
                f"{provider!r} (records one by one are not read from it yet)",
                "an ess, Dominion or NIST CDF JSON source to convert",
            )
        if records is not None and provider == "ess":
            for key in ("idColumnIndex",):
                if str(src.get(key) or "").strip():
                    raise RctabConfigError(
                        path,
                        f"{where}.{key}",
                        f"{src[key]!r} (a column converted records do not carry yet)",
                        "an empty column index to convert",
                    )
        if provider == "dominion":
            from tallyroom.ballots.formats.dominion import read_dominion

            by_precinct: dict[str, dict[tuple, int]] = {}
            by_batch: dict[str, dict[tuple, int]] = {}
            p = read_dominion(
                file_path,
                ballot_rules,
                contest=str(src.get("contestId") or "") or None,
                max_rankings=max_rankings,
                aliases=alias,
                uwi_label=uwi_label or None,
                overvote_label=str(src.get("overvoteLabel") or "") or None,
                precincts=by_precinct,
                batches=by_batch if by_batch_on else None,
                records=records,
                record_source=record_source,
            )
            parts.append((len(profiles), by_precinct if by_precinct_on else {}, by_batch))
            if output.get("tabulateByPrecinct") and not by_precinct:
                raise RctabConfigError(
                    path,
                    "outputSettings.tabulateByPrecinct",
                    f"true, but the CVRs of {file_path.name} name no precinct",
                    "CVRs with precincts (PrecinctManifest.json), or tabulateByPrecinct false",
                )
            profiles.append(p)
            continue
        if (by_precinct_on or by_batch_on) and provider not in ("ess", "genericCsv"):
            raise RctabConfigError(
                path,
                "outputSettings.tabulateByPrecinct/tabulateByBatch",
                f"true, with a {provider!r} source (its precincts and batches are not read yet)",
                "an ess, genericCsv or Dominion source, or both false",
            )
        part_p: dict[str, dict[tuple, Any]] = {}
        part_b: dict[str, dict[tuple, Any]] = {}

        def column(key: str, on: bool, src: dict[str, Any] = src, where: str = where) -> int | None:
            raw = str(src.get(key) or "").strip()
            if not on:
                return None
            if not raw:
                raise RctabConfigError(
                    path,
                    f"{where}.{key}",
                    "empty, with outputSettings.tabulateBy"
                    + ("Precinct" if key.startswith("precinct") else "Batch"),
                    "the column of the precinct (batch) of each CVR",
                )
            return _int(path, f"{where}.{key}", raw, lo=1)

        def given(key: str, src: dict[str, Any] = src) -> bool:
            return bool(str(src.get(key) or "").strip())

        if provider in ("ess", "genericCsv") and (by_precinct_on or by_batch_on):
            parts.append((len(profiles), part_p, part_b))
        if provider in ("clearBallot", "hart"):
            if provider == "hart":
                from tallyroom.ballots.formats.hart import read_hart as reader
            else:
                from tallyroom.ballots.formats.clearballot import read_clearballot as reader
            p = reader(
                file_path,
                ballot_rules,
                contest=str(src.get("contestId") or "") or None,
                max_rankings=max_rankings,
                aliases=alias,
                uwi_label=uwi_label or None,
                overvote_label=str(src.get("overvoteLabel") or "") or None,
            )
            profiles.append(p)
            continue
        if provider == "genericCsv":
            from tallyroom.ballots.formats.rctab_csv import read_rctab_csv

            p = read_rctab_csv(
                file_path,
                ballot_rules,
                first_vote_column=_int(
                    path, f"{where}.firstVoteColumnIndex", src.get("firstVoteColumnIndex"), lo=1
                ),
                first_vote_row=_int(
                    path, f"{where}.firstVoteRowIndex", src.get("firstVoteRowIndex"), lo=2
                ),
                max_rankings=max_rankings,
                aliases=alias,
                uwi_label=uwi_label or None,
                precinct_column=column("precinctColumnIndex", by_precinct_on),
                precincts=part_p if by_precinct_on else None,
                batch_column=column("batchColumnIndex", by_batch_on),
                batches=part_b if by_batch_on else None,
            )
            profiles.append(p)
            continue
        if provider == "ess":
            from tallyroom.ballots.formats.ess import read_ess

            p = read_ess(
                file_path,
                ballot_rules,
                candidates=names,
                first_vote_column=_int(
                    path, f"{where}.firstVoteColumnIndex", src.get("firstVoteColumnIndex"), lo=1
                ),
                first_vote_row=_int(
                    path, f"{where}.firstVoteRowIndex", src.get("firstVoteRowIndex"), lo=1
                ),
                max_rankings=max_rankings,
                overvote_label=str(src.get("overvoteLabel") or "\0none"),
                skipped_label=str(
                    src.get("skippedRankLabel") or src.get("undervoteLabel") or "\0none"
                ),
                uwi_label=uwi_label or "\0none",
                aliases=alias,
                treat_blank_as_undeclared_write_in=bool(src.get("treatBlankAsUndeclaredWriteIn")),
                overvote_delimiter=str(src.get("overvoteDelimiter") or "") or None,
                records=records,
                record_source=record_source,
                # read for the parts, and for the records (RCTab's converted CVRs name them)
                precinct_column=column(
                    "precinctColumnIndex",
                    by_precinct_on or (records is not None and given("precinctColumnIndex")),
                ),
                precincts=part_p if by_precinct_on else None,
                batch_column=column(
                    "batchColumnIndex",
                    by_batch_on or (records is not None and given("batchColumnIndex")),
                ),
                batches=part_b if by_batch_on else None,
            )
        else:
            if file_path.suffix.lower() == ".xml":
                from tallyroom.ballots.formats.cdf_xml import read_cdf_xml

                p = read_cdf_xml(
                    file_path,
                    ballot_rules,
                    contest=str(src.get("contestId") or "") or None,
                    max_rankings=max_rankings,
                    aliases=alias,
                    overvote_label=str(src.get("overvoteLabel") or "") or None,
                    uwi_label=uwi_label or None,
                )
                profiles.append(p)
                continue
            if file_path.suffix.lower() != ".json":
                raise RctabConfigError(
                    path, f"{where}.filePath", file_path.name, "a NIST CDF file (.json or .xml)"
                )
            from tallyroom.ballots.cdf import read_cdf_json

            p = read_cdf_json(
                file_path,
                ballot_rules,
                contest=str(src.get("contestId") or "") or None,
                max_rankings=max_rankings,
                aliases=alias,
                records=records,
                record_sources=[record_source],
            )
        profiles.append(p)
    if not profiles:
        raise RctabConfigError(path, "cvrFileSources", "no source", "one CVR source or more")
    if uwi_declared and UWI not in names:
        # a source with an undeclaredWriteInLabel: RCTab counts "Undeclared Write-ins" as a
        # candidate from round 1, with 0 votes if no paper names it (2015_portland_mayor)
        names.append(UWI)
        if "tie_order" in options:  # the write-ins come last in RCTab's candidate list
            order = list(options["tie_order"])
            options["tie_order"] = [UWI, *order] if rule in SINGLE_EXCLUSION else [*order, UWI]
    profile = _merge(path, profiles, names, excluded, max(seats, 1), ballot_rules, output)
    precincts: dict[str, dict[tuple, Weight]] = {}
    batches: dict[str, dict[tuple, Weight]] = {}
    for k, by_p, by_b in parts:
        # each part's marks in the merged profile's candidates (as _merge maps the papers)
        remap = [
            profile.election.names.index(n) if n in profile.election.names else -1
            for n in profiles[k].election.names
        ]
        for into, source_parts in ((precincts, by_p), (batches, by_b)):
            for part, marks_of in source_parts.items():
                tally = into.setdefault(part, {})
                for marks, w in marks_of.items():
                    m = _remap_marks(marks, remap)
                    tally[m] = tally.get(m, 0) + w
    notes = tuple(
        f"outputSettings.{k} is an output setting; the count does not use it"
        for k in ("generateCdfJson",)
        if output.get(k)
    )
    return RctabContest(
        path,
        profile,
        rule,
        options,
        str(tie),
        seed,
        notes,
        cfg,
        stop_after,
        precincts={
            n: Profile.from_marks(profile.election, raw, ballot_rules, source=f"{path}: {n}")
            for n, raw in precincts.items()
        },
        batches={
            n: Profile.from_marks(profile.election, raw, ballot_rules, source=f"{path}: {n}")
            for n, raw in batches.items()
        },
    )


def _remap_marks(key: tuple, remap: Sequence[int]) -> tuple:
    """Raw marks (a reader's: a candidate's index, None for a skipped rank, OVERVOTE, a
    tuple for an overvote's candidates) with the candidates' indices mapped."""
    out: list[Any] = []
    for m in key:
        if isinstance(m, tuple):
            out.append(tuple(remap[c] for c in m))
        elif isinstance(m, int) and not isinstance(m, bool) and m >= 0:
            out.append(remap[m])
        else:
            out.append(m)
    return tuple(out)


def _merge(
    path: str,
    profiles: list[Profile],
    names: list[str],
    excluded: list[str],
    seats: int,
    rules: BallotRules,
    output: Mapping[str, Any],
) -> Profile:
    """The sources' papers as one profile over the config's candidates (UWI last)."""
    all_names = list(names)
    for p in profiles:
        marked = {c for b in p.ballots for x in b for c in (x if isinstance(x, tuple) else (x,))}
        for i, n in enumerate(p.election.names):
            if n not in all_names and i not in marked and n != UWI:
                continue  # a candidate of the file no paper marks: RCTab does not ask for it
            if n not in all_names:
                if n != UWI:
                    raise RctabConfigError(
                        path,
                        "candidates",
                        f"{n!r} in {p.source} is not declared",
                        "every candidate of the CVRs declared (or an alias of one)",
                    )
                all_names.append(n)
    at = {n: i for i, n in enumerate(all_names)}
    merged: dict[tuple, Weight] = {}
    invalid: dict[str, Weight] = {}
    for p in profiles:
        remap = [at.get(n, -1) for n in p.election.names]
        for b, w in zip(p.ballots, p.weights):
            key = tuple(tuple(remap[c] for c in x) if isinstance(x, tuple) else remap[x] for x in b)
            merged[key] = merged.get(key, 0) + w
        for why, w in p.invalid.items():
            invalid[why] = invalid.get(why, 0) + w
    election = Election(
        # RCTab's undeclared write-ins can never be elected (Tabulator.identifyWinners)
        candidates=tuple(
            Candidate(n, {NEVER_ELECTED: "yes"} if n == UWI else {}) for n in all_names
        ),
        seats=seats,
        withdrawn=frozenset(at[n] for n in excluded),
        title=str(output.get("contestName") or ""),
        office=str(output.get("contestOffice") or ""),
        date=str(output.get("contestDate") or ""),
        organisation=str(output.get("contestJurisdiction") or ""),
    )
    return Profile(
        election=election,
        ballots=tuple(merged),
        weights=tuple(merged.values()),
        invalid=invalid,
        rules=rules,
        source=", ".join(p.source for p in profiles),
    )


# -- counting -------------------------------------------------------------------------------
def count_config(contest: RctabContest, decisions: Sequence[str] = ()) -> CountRecord:
    """Count a configuration; RCTab's random tie-breaks are drawn from java.util.Random.

    The count runs with the returning officer's decisions as its tie fallback; each time a
    tie needs one, RCTab's draw for it is made and the count is run again with the decisions
    so far (a count with k ties runs k + 1 times; each run is exact and deterministic).
    ``decisions`` are the operator's answers for stopCountingAndAsk.  A multi-pass count
    (``multiPassIrv``) is one IRV count per seat, RCTab's generator seeded afresh for each.
    """
    if contest.rule != "multi-pass-irv":
        record = _count_one(contest, contest.profile, contest.rule, decisions)
        n = contest.stop_after
        if n is None or n >= len(record.stages):
            return record
        # RCTab stops after round n: its rounds as they were, and no one else elected
        from dataclasses import replace

        kept = record.stages[:n]
        return replace(
            record,
            stages=kept,
            elected=tuple(w for st in kept for w in st.elected),
            ties=tuple(t for t in record.ties if t.stage <= n),
            notes=(
                *record.notes,
                f"tabulation stopped after round {n} (RCTab's stopTabulationEarlyAfterRound)",
            ),
        )
    from tallyroom.rules.rctab_modes import combine_passes

    e = contest.profile.election
    passes: list[CountRecord] = []
    for _ in range(e.seats):
        gone = e.withdrawn | {e.index(w) for r in passes for w in r.elected}
        one = contest.profile.with_election(e.with_changes(seats=1, withdrawn=gone))
        passes.append(_count_one(contest, one, "irv", decisions))
    return combine_passes(contest.profile, passes)


def _count_one(
    contest: RctabContest,
    profile: Profile,
    rule: str,
    decisions: Sequence[str],
    parts: Mapping[str, Profile] | None = None,
) -> CountRecord:
    from tallyroom.rules import count as count_rule
    from tallyroom.rules import get, with_election_details
    from tallyroom.rules.ties import TIE_KEYS

    def count(profile: Profile, rule: str, **opts: Any) -> CountRecord:
        if parts is None:
            return count_rule(profile, rule, **opts)
        # the parts ride along the count (not a rule option a user gives: no schema entry)
        r = get(rule)
        r.check_options({k: v for k, v in opts.items() if k not in TIE_KEYS})
        return with_election_details(r.count(profile, **opts, parts=parts), profile)

    opts = dict(contest.options)
    if contest.tiebreak not in ("random", "previousRoundCountsThenRandom"):
        if opts.get("tie_fallback") == "decision":
            opts["decisions"] = list(decisions)
        return count(profile, rule, **opts)
    assert contest.seed is not None
    rnd = JavaRandom(contest.seed)
    drawn: list[str] = []
    names = profile.election.names
    for _ in range(len(names) * 4 + 8):
        try:
            record = count(profile, rule, **opts, decisions=list(drawn))
        except RuleError as e:
            tied = _tied_from(str(e), names)
            if tied is None:
                raise
            later = not str(e).startswith("stage 1:")  # earlier rounds were compared
            history = contest.tiebreak == "previousRoundCountsThenRandom" and later
            drawn.append(java_pick(tied, rnd, hash_order=history))
            continue
        if rule == "irv" and drawn and record.ties:
            # RCTab decides a tie of the last two continuing candidates by drawing the
            # winner (Tabulator: "selecting winner"); irv asks which of them to exclude
            last = record.ties[-1]
            final = set(record.stages[-1].totals)
            if (
                last.purpose == "exclusion"
                and len(last.tied) == 2
                and set(last.tied) == final
                and last.chosen == drawn[-1]
            ):
                drawn[-1] = next(n for n in last.tied if n != last.chosen)
                return count(profile, rule, **opts, decisions=list(drawn))
        return record
    raise RuleError("RCTab random tie-break: more ties than the count can have")


def _tied_from(message: str, names: Sequence[str]) -> list[str] | None:
    """The tied candidates named in a 'needs the returning officer's decision' error (names
    may hold commas: matched against the candidates, longest first)."""
    head, sep, rest = message.partition(" between ")
    if not sep or " needs the returning officer's decision" not in rest:
        return None
    text = rest.split(" needs the returning officer's decision")[0]
    out: list[str] = []
    by_length = sorted(names, key=len, reverse=True)
    while text:
        hit = next((n for n in by_length if text.startswith(n) and n not in out), None)
        if hit is None:
            return None
        out.append(hit)
        text = text[len(hit) :]
        if text.startswith(", "):
            text = text[2:]
        elif text:
            return None
    return out


# -- conversions ----------------------------------------------------------------------------
def _max_rank(contest: RctabContest) -> int:
    """RCTab's rank columns: maxRankingsAllowed, or the declared candidates for ``max``."""
    raw = str(contest.config["rules"].get("maxRankingsAllowed", "")).strip()
    if raw == "max":
        return len(contest.config["candidates"])
    return _int(contest.path, "rules.maxRankingsAllowed", raw, lo=1)


def rctab_cvr_csv(contest: RctabContest, records: Sequence[CvrRecord]) -> str:
    """The records in RCTab's CSV CVR (RCTab's conversion of every source it reads)."""
    return write_rctab_cvr_csv(records, _max_rank(contest))


def cdf_cvr_json(
    contest: RctabContest,
    records: Sequence[CvrRecord],
    *,
    generated: str = "",
    record: CountRecord | None = None,
) -> dict[str, Any]:
    """The records as a NIST CDF JSON cast-vote-record report, RCTab's layout (see
    :mod:`tallyroom.ballots.formats.rctab_cvr` for the one place it differs on purpose).

    ``record``: the contest's count (:func:`count_config`): each record then carries a
    snapshot per round of where its paper counts (RCTab's ``generateCdfJson`` with a
    tabulation), worked out as for a precinct of one paper (:func:`tabulate_parts`)."""
    cfg = contest.config
    names = [str(c["name"]) for c in cfg["candidates"]]
    sources = cfg["cvrFileSources"]
    if any(str(s.get("undeclaredWriteInLabel") or "") for s in sources) and UWI not in names:
        names.append(UWI)
    output = cfg.get("outputSettings") or {}
    return cdf_cvr_report(
        records,
        names,
        contest_name=str(output.get("contestName") or ""),
        jurisdiction=str(output.get("contestJurisdiction") or ""),
        explicit_overvote=any(str(s.get("overvoteLabel") or "") for s in sources),
        generated=generated,
        rounds=None if record is None else _record_rounds(contest, record, records),
        places=int(contest.options.get("places", 4)),
        # RCTab keeps its precincts in a HashMap: its GpUnits come in that map's order
        precinct_order=java_hash_set_order(list(dict.fromkeys(r.precinct for r in records)))
        if output.get("tabulateByPrecinct")
        else None,
    )


def _record_rounds(
    contest: RctabContest, record: CountRecord, records: Sequence[CvrRecord]
) -> list[list[dict[str, Fraction]]]:
    """For each record, for each round, the part of its paper each candidate holds."""
    e = contest.profile.election
    at = {n: i for i, n in enumerate(e.names)}
    keys: list[tuple] = []
    for r in records:
        top = max(r.ranks, default=0)
        marks: list[Any] = []
        for k in range(1, top + 1):
            got = r.ranks.get(k, ())
            if not got:
                marks.append(None)
            elif got == (OVERVOTE_NAME,):
                marks.append(OVERVOTE_MARK)
            elif len(got) == 1:
                marks.append(at[got[0]])
            else:
                marks.append(tuple(at[n] for n in got))
        keys.append(tuple(marks))
    unique = {k: ("paper", str(i)) for i, k in enumerate(dict.fromkeys(keys))}
    named = {
        name: Profile.from_marks(e, {k: 1}, contest.profile.rules) for k, name in unique.items()
    }
    parts = _tally_parts(contest, record, named)
    rounds = {
        name: [{c: v for c, v in st.totals.items() if v} for st in parts[name].stages]
        for name in named
    }
    return [rounds[unique[k]] for k in keys]


# -- tabulation by precinct and by batch ---------------------------------------------------
#: the rules whose rounds a part of the papers is tallied through (RCTab's per-precinct and
#: per-batch reports): each paper counts whole for its first continuing candidate
PART_RULES = ("irv", "bottoms-up")


def tabulate_part(record: CountRecord, part: Profile) -> CountRecord:
    """The contest's rounds as ``record`` holds them, tallied from ``part``'s papers only
    (RCTab's tabulateByPrecinct and tabulateByBatch): in each round every candidate still
    continuing in the contest, with the votes of the part's papers; who is eliminated and
    elected, and the threshold, are the contest's (RCTab: "Elect/Eliminate decisions are
    from the full contest").  The papers are read as the count reads them (the same ballot
    rules, an overvote that exhausted a paper keeps it exhausted, for irv)."""
    from tallyroom.rules._support import fractions
    from tallyroom.rules._tally import ranked

    if record.method not in PART_RULES:
        raise RuleError(
            f"tabulating a precinct or batch through {record.method} rounds is not "
            f"supported yet ({', '.join(PART_RULES)} counts are)"
        )
    if tuple(part.election.names) != tuple(record.candidates):
        raise RuleError("the part's candidates are not the count's")
    used, ballots = ranked(part, record.method)
    at = {n: i for i, n in enumerate(used.election.names)}
    dead: set[int] | None = set() if record.method == "irv" else None
    stages = []
    previous: dict[str, Fraction] | None = None
    for st in record.stages:
        continuing = {at[n] for n in st.totals}
        totals, exhausted = ballots.tally(continuing, dead)
        current = fractions({n: totals[at[n]] for n in st.totals})
        moved = (
            {k: current.get(k, Fraction(0)) - v for k, v in previous.items()}
            if previous is not None
            else {}
        )
        stages.append(
            replace(
                st,
                totals=current,
                transfers=moved,
                exhausted=Fraction(exhausted),
                exhausted_papers=Fraction(exhausted),
                extra={**st.extra, "continuing_votes": sum(current.values(), Fraction(0))},
            )
        )
        previous = current
    return replace(
        record,
        stages=tuple(stages),
        ballots_read=Fraction(part.ballots_read),
        valid=Fraction(part.valid),
        invalid={k: Fraction(v) for k, v in part.invalid.items()},
        source=part.source,
    )


#: the rules that tally parts of the papers inside the count (the STV engine's ``parts``)
PART_STV_RULES = ("minneapolis-stv",)


def tabulate_parts(
    contest: RctabContest, record: CountRecord, decisions: Sequence[str] = ()
) -> dict[tuple[str, str], CountRecord]:
    """Every precinct and batch of the contest (``contest.precincts``, ``contest.batches``)
    through the contest's rounds, keyed ("precinct" or "batch", its name): RCTab's
    tabulateByPrecinct and tabulateByBatch.  ``record`` is the contest's count
    (:func:`count_config`).  irv and bottoms-up rounds are tallied from each part's papers
    (:func:`tabulate_part`); an STV count is run again with the parts riding along, each
    paper's value in the part as in the count (what a surplus left with the winner, what it
    moved on), and must come out as ``record`` did (``decisions``: the operator's answers
    the count was given, :func:`count_config`)."""
    named = {("precinct", n): p for n, p in contest.precincts.items()}
    named.update({("batch", n): p for n, p in contest.batches.items()})
    return _tally_parts(contest, record, named, decisions)


def _tally_parts(
    contest: RctabContest,
    record: CountRecord,
    named: Mapping[tuple[str, str], Profile],
    decisions: Sequence[str] = (),
) -> dict[tuple[str, str], CountRecord]:
    if not named:
        return {}
    if record.method in PART_RULES:
        return {k: tabulate_part(record, p) for k, p in named.items()}
    if record.method not in PART_STV_RULES or contest.rule != record.method:
        raise RuleError(
            f"tabulating a precinct or batch through {record.method} rounds is not supported "
            f"yet ({', '.join(PART_RULES + PART_STV_RULES)} counts are)"
        )
    keys = {f"{k[0]}:{k[1]}": k for k in named}
    again = _count_one(
        contest,
        contest.profile,
        contest.rule,
        decisions,
        parts={s: named[k] for s, k in keys.items()},
    )
    stages = again.stages[: len(record.stages)]
    if [s.totals for s in stages] != [s.totals for s in record.stages]:
        raise RuleError("the count with its parts tallied did not come out as the count")
    out = {}
    for s, k in keys.items():
        part = named[k]
        out[k] = replace(
            record,
            stages=tuple(
                replace(
                    st,
                    totals=mine.extra["parts"][s],
                    transfers={},
                    # the part's papers not held by a candidate (its share of the rounding
                    # loss among them: the engine keeps the loss for the count only)
                    exhausted=Fraction(part.valid) - sum(mine.extra["parts"][s].values()),
                    exhausted_papers=Fraction(0),
                    loss=Fraction(0),
                    extra={x: v for x, v in st.extra.items() if x != "parts"},
                )
                for st, mine in zip(record.stages, stages)
            ),
            ballots_read=Fraction(part.ballots_read),
            valid=Fraction(part.valid),
            invalid={x: Fraction(v) for x, v in part.invalid.items()},
            source=part.source,
        )
    return out
