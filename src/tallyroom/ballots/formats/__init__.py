"""Ballot files: one module per format, one registry to read and write them all.

::

    from tallyroom.ballots.formats import read, write, FORMATS

    profile = read("ward1.blt")                 # format from the extension, else the content
    profile = read("votes.csv", seats=3)        # seats override the file's (CSV has none)
    write(profile, "ward1.json")                # format from the extension
    write(profile, sys.stdout, "preflib")
    FORMATS                                     # {"blt": "BLT (ERS, OpenSTV, ...)", ...}

Every reader returns a :class:`~tallyroom.ballots.model.Profile` (identical ballots merged,
every paper valid or invalid with a reason) and refuses a bad file with a
:class:`~tallyroom.errors.BallotFileError` naming the file, line, column, what was found and
what was expected.

A new format -- a US cast-vote-record reader, say -- is one module with a reader taking
``(path or binary stream, rules, seats)`` and one :func:`register` call at the bottom of
this file, with its extensions and, if its content can be recognised, a ``sniff`` test on
the first bytes of a file.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import import_module
from types import MappingProxyType
from typing import Any, BinaryIO, TextIO

from tallyroom.ballots.formats.textio import with_file_digest
from tallyroom.ballots.model import BallotRules, Profile
from tallyroom.errors import BallotFileError, ElectionError

Source = str | os.PathLike[str] | BinaryIO
#: ``reader(path or binary stream, rules or None, seats or None) -> Profile``.  ``rules``
#: None means the file's own (JSON records them) or the defaults; ``seats`` None means the
#: file's own, or 1 for formats that have none.
Reader = Callable[[Source, BallotRules | None, int | None], Profile]
#: ``writer(profile, text stream)``; raises ValueError for what the format cannot hold.
Writer = Callable[[Profile, TextIO], None]

SNIFF_BYTES = 64 << 10
_READER_BUGS = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ZeroDivisionError,
    OverflowError,
    RecursionError,
    UnicodeError,
)


@dataclass(frozen=True)
class Format:
    """A ballot file format in the registry."""

    name: str
    description: str
    extensions: tuple[str, ...] = ()
    reader: Reader | None = None
    writer: Writer | None = None
    #: True when the first bytes of a file show it is in this format
    sniff: Callable[[bytes], bool] | None = None
    #: readers of binary containers (Excel) need a path, not a stream
    needs_path: bool = False
    #: its candidates are parties, each of which may win several seats
    parties: bool = False
    #: its content decides before the extension does (a vendor's JSON in a .json file)
    content_first: bool = False
    #: the reader takes ``contest=`` (a file of several contests: which one to read)
    contests: bool = False
    #: the reader has a fast path for big files and takes ``progress=`` and
    #: ``own_process=`` (see :func:`read`)
    big_files: bool = False


#: the formats that hold no seat count (the caller gives it: ``seats``, ``--seats``)
NO_SEATS = frozenset(
    ("csv", "csv-wide", "csv-long", "csv-approval", "votekit-csv", "preflib", "ess", "cdf-json")
)
#: the formats whose files state the seats: a profile without them is not written there
WRITES_SEATS = frozenset(("blt", "json"))

_REGISTRY: dict[str, Format] = {}
_DESCRIPTIONS: dict[str, str] = {}
#: Every registered format: name -> one-line description.
FORMATS: Mapping[str, str] = MappingProxyType(_DESCRIPTIONS)


def register(fmt: Format) -> Format:
    """Add a format to the registry (names are unique; later ones are sniffed later)."""
    if fmt.name in _REGISTRY:
        raise ValueError(f"a ballot format named {fmt.name!r} is already registered")
    _REGISTRY[fmt.name] = fmt
    _DESCRIPTIONS[fmt.name] = fmt.description
    return fmt


def get(name: str) -> Format:
    """A registered format by name (KeyError if there is none)."""
    return _REGISTRY[name]


def formats() -> tuple[Format, ...]:
    """All registered formats, in registration order."""
    return tuple(_REGISTRY.values())


# -- reading ---------------------------------------------------------------------------------
def _display(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


class _Replay(io.RawIOBase):
    """A stream that gives back the bytes already read from an unseekable stream first."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest
        self.name = getattr(rest, "name", "<stream>")

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(b).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _binary(source: Source) -> Source:
    """A text stream becomes a binary one; paths and binary streams pass through."""
    if isinstance(source, io.TextIOBase):
        buffer = getattr(source, "buffer", None)
        if buffer is not None:
            return buffer  # type: ignore[no-any-return]
        return io.BytesIO(source.read().encode("utf-8"))
    return source


def _head(source: Source) -> tuple[bytes, Source]:
    """The first bytes of a file, and a source that still starts at the beginning."""
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        try:
            with open(name, "rb") as f:
                return f.read(SNIFF_BYTES), source
        except FileNotFoundError:
            raise BallotFileError(
                name, None, None, "no such file", "a readable ballot file"
            ) from None
        except IsADirectoryError:
            raise BallotFileError(name, None, None, "a directory", "a ballot file") from None
        except PermissionError:
            raise BallotFileError(
                name, None, None, "no permission to read", "a readable ballot file"
            ) from None
    stream = source
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        pos = stream.tell()
        head = stream.read(SNIFF_BYTES)
        stream.seek(pos)
        return head, stream
    head = stream.read(SNIFF_BYTES)
    return head, io.BufferedReader(_Replay(head, stream))


def detect(source: Source) -> tuple[Format, Source]:
    """The format of a file (by extension, then by content) and a source to read it from."""
    source = _binary(source)
    name = _display(source)
    if isinstance(source, (str, os.PathLike)) and os.path.isdir(source):
        if os.path.isfile(os.path.join(source, "ContestManifest.json")):
            return _REGISTRY["dominion"], source
        if any(f.lower().endswith(".xml") for f in os.listdir(source)):
            return _REGISTRY["hart"], source
        raise BallotFileError(
            name, None, None, "a directory", "a ballot file, a Dominion export or Hart CVR folder"
        )
    if isinstance(source, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(source))[1].lower().lstrip(".")
        first = [f for f in _REGISTRY.values() if f.content_first and f.sniff and f.reader]
        if first and ext in ("json", "xml", "csv"):
            head, _ = _head(source)
            for fmt in first:
                if fmt.sniff(head):  # type: ignore[misc]
                    return fmt, source
        for fmt in _REGISTRY.values():
            if ext and ext in fmt.extensions and fmt.reader is not None:
                # a party-list vote table is semicolon-separated text, often named .csv
                if fmt.name == "csv" and _module_votetable().file_looks_like_votetable(source):
                    return _REGISTRY["votetable"], source
                return fmt, source
    head, source = _head(source)
    for fmt in _REGISTRY.values():
        if fmt.reader is not None and fmt.sniff is not None and fmt.sniff(head):
            return fmt, source
    readable = ", ".join(f.name for f in _REGISTRY.values() if f.reader is not None)
    if not head.strip():
        raise BallotFileError(name, None, None, "an empty file", f"a ballot file ({readable})")
    line = head.count(b"\n", 0, _first_binary(head)) + 1 if _first_binary(head) >= 0 else None
    if line is not None:
        at = _first_binary(head)
        col = at - (head.rfind(b"\n", 0, at) + 1) + 1
        raise BallotFileError(
            name, line, col, f"binary data (byte 0x{head[at]:02x})", f"a ballot file ({readable})"
        )
    raise BallotFileError(
        name,
        1,
        None,
        "a file in no ballot format known here",
        f"one of: {readable} (or name the format)",
    )


def _first_binary(head: bytes) -> int:
    for i, b in enumerate(head):
        if b < 32 and b not in (9, 10, 12, 13):
            return i
    return -1


def read(
    path: Source,
    format: str | None = None,
    *,
    rules: BallotRules | None = None,
    seats: int | None = None,
    contest: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    own_process: bool = False,
) -> Profile:
    """Read a ballot file into a profile.

    ``format`` names a registered format (see :data:`FORMATS`); without it the extension
    decides, then the content.  ``rules`` are the ballot rules applied as papers are read
    (None: the file's own where it records them, else the defaults).  ``seats`` overrides
    the file's seat count (formats without one default to 1); more seats than candidates
    is an :class:`~tallyroom.errors.ElectionError`.  ``contest`` names the contest to read
    from a cast-vote-record file of several (its name or id).

    For the formats with a fast path for big files (BLT): ``progress(done, in all)`` is
    told how far through the file the reading is, and ``own_process`` says the caller owns
    this process (a command-line program), so the fast path may tune the allocator for its
    big arrays (:func:`~tallyroom.ballots.formats.blt.keep_freed_memory`, for the life of
    the process).  Other formats ignore both.
    """
    if seats is not None and seats < 1:
        raise ElectionError(f"an election needs at least one seat, not {seats}")
    if format is None:
        fmt, source = detect(path)
    else:
        key = format.lower()
        fmt = _REGISTRY.get(key) or next(
            (f for f in _REGISTRY.values() if key in f.extensions), None
        )  # type: ignore[assignment]
        if fmt is None or fmt.reader is None:
            readable = ", ".join(f.name for f in _REGISTRY.values() if f.reader is not None)
            raise BallotFileError(
                _display(path), None, None, f"the format name {format!r}", f"one of: {readable}"
            )
        source = _binary(path)
    if fmt.needs_path and not isinstance(source, (str, os.PathLike)):
        raise BallotFileError(
            _display(source), None, None, f"a {fmt.name} file as a stream", "a path to the file"
        )
    assert fmt.reader is not None
    if contest is not None and not fmt.contests:
        raise BallotFileError(
            _display(source),
            None,
            None,
            f"a contest named for a {fmt.name} file",
            "a cast-vote-record format with contests: "
            + ", ".join(f.name for f in _REGISTRY.values() if f.contests),
        )
    extra: dict[str, Any] = {}
    if contest is not None:
        extra["contest"] = contest
    if fmt.big_files:
        extra.update(progress=progress, own_process=own_process)
    try:
        profile = fmt.reader(source, rules, seats, **extra)
    except _READER_BUGS as bug:
        # Readers refuse bad files with BallotFileError; anything else is a reader's bug.
        # It is still reported on one line, naming the file, with the cause chained.
        raise BallotFileError(
            _display(source),
            None,
            None,
            f"content the {fmt.name} reader failed on ({type(bug).__name__}: {bug}; "
            "a bug in tallyroom, please report it)",
            f"a well-formed {fmt.name} file",
        ) from bug
    e = profile.election
    if seats is None and fmt.name in NO_SEATS and e.seats_given:
        # the format holds no seat count: 1 stands in, marked as not given (never assumed
        # by a rule that can fill more than one seat)
        profile = profile.with_election(replace(e, seats_given=False))
        e = profile.election
    if seats is not None and e.seats != seats:
        if seats > len(e.candidates) and not fmt.parties:
            raise ElectionError(
                f"{profile.source or _display(path)}: {seats} seats for {len(e.candidates)} "
                "candidates; there cannot be more seats than candidates"
            )
        profile = profile.with_election(e.with_changes(seats=seats))
    if profile.election.seats > len(profile.election.candidates) and not fmt.parties:
        raise ElectionError(
            f"{profile.source or _display(path)}: {profile.election.seats} seats for "
            f"{len(profile.election.candidates)} candidates; there cannot be more seats than candidates"
        )
    if isinstance(source, (str, os.PathLike)):
        profile = with_file_digest(profile, source)
    return profile


# -- writing ---------------------------------------------------------------------------------
def write(
    profile: Profile, target: str | os.PathLike[str] | TextIO | BinaryIO, format: str | None = None
) -> None:
    """Write a profile to a path or an open stream in a registered format.

    Without ``format`` the target's extension decides.  A profile the format cannot hold
    (equal rankings in a wide CSV, fractional weights in PrefLib) is refused with a
    :class:`~tallyroom.errors.BallotFileError` naming the target, and no file is written.
    """
    name = _display(target)  # type: ignore[arg-type]
    writable = ", ".join(f.name for f in _REGISTRY.values() if f.writer is not None)
    fmt: Format | None
    if format is None:
        if not isinstance(target, (str, os.PathLike)):
            raise BallotFileError(
                name, None, None, "a stream and no format", f"a format: {writable}"
            )
        ext = os.path.splitext(os.fspath(target))[1].lower().lstrip(".")
        fmt = next((f for f in _REGISTRY.values() if ext in f.extensions and f.writer), None)
        if fmt is None:
            raise BallotFileError(
                name,
                None,
                None,
                f"the extension {('.' + ext) if ext else '(none)'}",
                f"an extension or format naming one of: {writable}",
            )
    else:
        key = format.lower()
        fmt = _REGISTRY.get(key) or next(
            (f for f in _REGISTRY.values() if key in f.extensions), None
        )
        if fmt is None or fmt.writer is None:
            raise BallotFileError(
                name, None, None, f"the output format {format!r}", f"one of: {writable}"
            )
    if fmt.name in WRITES_SEATS and not profile.election.seats_given:
        raise BallotFileError(
            name,
            None,
            None,
            f"ballots from {profile.source or 'a file'} with no seat count ({fmt.name} records one)",
            "the seats given (--seats N): the source format does not hold them",
        )
    buffer = io.StringIO()
    try:
        fmt.writer(profile, buffer)  # type: ignore[misc]
    except ValueError as e:
        raise BallotFileError(
            name,
            None,
            None,
            f"a profile {fmt.name} cannot hold ({e})",
            f"another format ({writable})",
        ) from None
    text = buffer.getvalue()
    if isinstance(target, (str, os.PathLike)):
        # a temporary file beside the target, renamed over it once written: an interrupted
        # or failed write never leaves a half-written (or emptied) file
        import tempfile

        path = os.fspath(target)
        fd, tmp = tempfile.mkstemp(
            prefix=".tallyroom-", suffix=".tmp", dir=os.path.dirname(path) or "."
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            # mkstemp makes the file private (0600): give it the target's mode, or the
            # usual 0644 for a new file
            mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    elif isinstance(target, io.TextIOBase) or not isinstance(
        target, (io.RawIOBase, io.BufferedIOBase)
    ):
        target.write(text)  # type: ignore[arg-type,call-overload]
    else:
        target.write(text.encode("utf-8"))


# -- the formats -------------------------------------------------------------------------------
def _first_content_line(head: bytes) -> str:
    for raw in head.split(b"\n")[:200]:
        text = raw.decode("utf-8", "replace").lstrip("\ufeff").strip()
        if text and not text.startswith("#"):
            return text
    return ""


_BLT_HEADER = re.compile(r"[0-9]+[\s,]+[0-9]+\s*,?\s*(#.*)?")
_PREFLIB_DATA = re.compile(r"[0-9]+\s*:")
_STV_KEY = re.compile(r"[A-Za-z_]+\s*=")


def _sniff_blt(head: bytes) -> bool:
    return bool(_BLT_HEADER.fullmatch(_first_content_line(head)))


def _sniff_preflib(head: bytes) -> bool:
    if re.search(rb"^#\s*(NUMBER ALTERNATIVES|DATA TYPE)\s*:", head, re.MULTILINE):
        return True
    lines = [ln.strip() for ln in head.split(b"\n")[:3]]
    # legacy layout: the number of alternatives alone, then "1,<name>"
    return len(lines) >= 2 and lines[0].isdigit() and lines[1].startswith(b"1,")


def _sniff_stv(head: bytes) -> bool:
    return bool(_STV_KEY.match(_first_content_line(head)))


def _sniff_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _sniff_csv(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return _first_binary(head) < 0 and any(d in first for d in (b",", b";", b"\t"))


def _sniff_votekit(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"VoteKit RankProfile")


def _sniff_xlsx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") and b"xl/" in head


def _module(name: str) -> Any:
    """A format's module, imported when a file of that format is first read or written."""
    return import_module(f"tallyroom.ballots.formats.{name}")


def _lazy(name: str, function: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_module(name), function)(*args, **kwargs)

    call.__name__ = function
    return call


def _module_votetable() -> Any:
    return import_module("tallyroom.ballots.votetable")


def _read_blt(
    src: Source,
    rules: BallotRules | None,
    seats: int | None,
    progress: Callable[[int, int], None] | None = None,
    own_process: bool = False,
) -> Profile:
    profile: Profile = read_blt(
        src, rules or BallotRules(), progress=progress, own_process=own_process
    )
    return profile  # seats override applied by read()


def _csv_reader(kind: str | None) -> Reader:
    def reader(src: Source, rules: BallotRules | None, seats: int | None) -> Profile:
        profile: Profile = _module("csv").read_csv(
            src, rules or BallotRules(), seats=seats or 1, kind=kind
        )
        return profile

    return reader


def _write_csv(profile: Profile, out: TextIO) -> None:
    if profile.kind == "approval":
        _module("csv").write_approval_csv(profile, out)
    else:
        _module("csv").write_wide_csv(profile, out)


def _read_ess(src: Source, rules: BallotRules | None, seats: int | None) -> Profile:
    from tallyroom.ballots.formats.ess import read_ess  # openpyxl only when needed

    return read_ess(src, rules or BallotRules(), seats=seats or 1)  # type: ignore[arg-type]


def _cvr_reader(module: str, function: str) -> Reader:
    """A cast-vote-record reader, imported on first use, taking ``contest=`` too."""

    def reader(
        src: Source, rules: BallotRules | None, seats: int | None, contest: str | None = None
    ) -> Profile:
        read_cvr = getattr(import_module(module), function)
        profile: Profile = read_cvr(src, rules or BallotRules(), seats=seats or 1, contest=contest)
        return profile

    return reader


# each format's functions, importing its module on first use
read_blt = _lazy("blt", "read_blt")
write_blt = _lazy("blt", "write_blt")
read_json = _lazy("json_format", "read_json")
write_json = _lazy("json_format", "write_json")
read_preflib = _lazy("preflib", "read_preflib")
write_preflib = _lazy("preflib", "write_preflib")
read_stv = _lazy("stv", "read_stv")


register(
    Format(
        "json",
        "tallyroom's own JSON (tallyroom.ballots/1): everything in a profile, exact weights",
        ("json",),
        lambda s, r, n: read_json(s, r, seats=n),
        write_json,
        _sniff_json,
    )
)
register(
    Format(
        "blt",
        "BLT (ERS, OpenSTV, Droop, eSTV): weighted ranked ballots, seats, withdrawn candidates",
        ("blt",),
        _read_blt,
        write_blt,
        _sniff_blt,
        big_files=True,
    )
)
register(
    Format(
        "preflib",
        "PrefLib ordinal data (.soi .soc .toi .toc): counted orders, ties in braces; no seats",
        ("soi", "soc", "toi", "toc"),
        lambda s, r, n: read_preflib(s, r or BallotRules(), seats=n or 1),
        write_preflib,
        _sniff_preflib,
    )
)
register(
    Format(
        "stv",
        "STV.pm .stv files (votelib): candidate codes, 3X counts, ordered or embedded BLT; read only",
        ("stv",),
        lambda s, r, n: read_stv(s, r or BallotRules(), seats=n),
        None,
        _sniff_stv,
    )
)
register(
    Format(
        "votekit-csv",
        "VoteKit rank profile CSV (PreferenceProfile.to_csv): ranks as sets of prefixes",
        (),
        _csv_reader("votekit"),
        None,
        _sniff_votekit,
    )
)
register(
    Format(
        "votetable",
        "party-list vote table, semicolon-separated: party;<constituency>... with a row per "
        "party, or party;coalition;votes[;seats] rows; --seats required; read only",
        ("votes",),
        lambda s, r, n: _module_votetable().read_profile(s, r, n),
        None,
        lambda head: _module_votetable().looks_like_votetable(head),
        needs_path=True,
        parties=True,
    )
)
register(
    Format(
        "csv",
        "CSV, layout from the header row: wide (a column per rank), long, approval or VoteKit",
        ("csv", "tsv"),
        _csv_reader(None),
        _write_csv,
        _sniff_csv,
    )
)
register(
    Format(
        "csv-wide",
        "CSV with a header row and a column per rank (Rank 1, Rank 2 ...), optional Weight",
        (),
        _csv_reader("wide"),
        _lazy("csv", "write_wide_csv"),
    )
)
register(
    Format(
        "csv-long",
        "CSV with one row per mark: ballot_id,rank,choice ($UNDERVOTE, $OVERVOTE)",
        (),
        _csv_reader("long"),
        _lazy("csv", "write_long_csv"),
    )
)
register(
    Format(
        "csv-approval",
        "CSV with a column per candidate and 1/X marks: approval ballots",
        (),
        _csv_reader("approval"),
        _lazy("csv", "write_approval_csv"),
    )
)
register(
    Format(
        "ess",
        "ES&S cast-vote records (.xlsx) as RCTab reads them; read only",
        ("xlsx",),
        _read_ess,
        None,
        _sniff_xlsx,
        needs_path=True,
    )
)
register(
    Format(
        "cdf-json",
        "NIST SP 1500-103 cast-vote records, JSON (as RCTab reads them); read only",
        (),
        _cvr_reader("tallyroom.ballots.cdf", "read_cdf_json"),
        None,
        lambda head: b'"CVR"' in head and b"CastVoteRecordReport" in head,
        content_first=True,
        contests=True,
    )
)


def _register_cvr(name: str, doc: str, module: str, reader: str, **flags: bool) -> None:
    """Register a read-only cast-vote-record format read by ``formats.<module>.<reader>``
    and sniffed by ``formats.<module>.sniff``."""
    register(
        Format(
            name,
            doc,
            (),
            _cvr_reader(f"tallyroom.ballots.formats.{module}", reader),
            None,
            lambda head: _module(module).sniff(head),
            **flags,
        )
    )


_register_cvr(
    "dominion",
    "Dominion CVR export (a folder of JSON manifests and CvrExport*.json; give the folder "
    "or one of its files) as RCTab reads it; read only",
    "dominion",
    "read_dominion",
    needs_path=True,
    content_first=True,
    contests=True,
)
_register_cvr(
    "cdf-xml",
    "NIST SP 1500-103 cast-vote records, XML, Unisyn's exports too (as RCTab reads them); "
    "read only",
    "cdf_xml",
    "read_cdf_xml",
    contests=True,
)
_register_cvr(
    "clearballot",
    "Clear Ballot ClearVote cast-vote records (CSV, a column per choice and rank) as RCTab "
    "reads them; read only",
    "clearballot",
    "read_clearballot",
    content_first=True,
    contests=True,
)
_register_cvr(
    "hart",
    "Hart Verity cast-vote records (a folder of XML files, one per paper) as RCTab reads "
    "them; read only",
    "hart",
    "read_hart",
    needs_path=True,
    contests=True,
)
register(
    Format(
        "rctab-csv",
        "RCTab's generic CSV cast-vote records (a column per candidate holding rank numbers)",
        (),
        lambda s, r, n: _module("rctab_csv").read_rctab_csv(s, r or BallotRules(), seats=n or 1),
        _lazy("rctab_csv", "write_rctab_csv"),
    )
)

__all__ = [
    "FORMATS",
    "Format",
    "Reader",
    "Source",
    "Writer",
    "detect",
    "formats",
    "get",
    "read",
    "register",
    "write",
]
