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

A new format -- a US cast-vote-record reader, say -- is one module holding, side by side,
``read_source(path or binary stream, options: ReadOptions) -> Profile`` (the one signature
every registered reader has) and, if its content can be recognised, ``sniff(first bytes)
-> bool``; and one :func:`_from_module` line at the bottom of this file, with its
extensions.  The module is imported only when a file of its format is read or sniffed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from importlib import import_module
from types import MappingProxyType
from typing import Any, BinaryIO, TextIO

from tallyroom.ballots.formats.textio import first_binary, with_file_digest
from tallyroom.ballots.model import BallotRules, Profile
from tallyroom.errors import BallotFileError, ElectionError

Source = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class ReadOptions:
    """What every registered reader is given besides the file: ``reader(source, options)``.

    ``format`` is the registered name being read (one module may read several: the CSV
    layouts); ``rules`` None means the file's own (JSON records them) or the defaults;
    ``seats`` None means the file's own, or 1 for formats that have none; ``contest`` names
    the contest of a cast-vote-record file of several; ``progress`` and ``own_process``
    are for the readers of big files (see :func:`read`), None and False for the others.
    """

    format: str
    rules: BallotRules | None = None
    seats: int | None = None
    contest: str | None = None
    progress: Callable[[int, int], None] | None = None
    own_process: bool = False

    @property
    def ballot_rules(self) -> BallotRules:
        """The rules given, else the defaults."""
        return self.rules or BallotRules()


#: ``reader(path or binary stream, options) -> Profile``: every registered reader
Reader = Callable[[Source, ReadOptions], Profile]
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
    line = head.count(b"\n", 0, first_binary(head)) + 1 if first_binary(head) >= 0 else None
    if line is not None:
        at = first_binary(head)
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
    options = ReadOptions(
        fmt.name,
        rules,
        seats,
        contest,
        progress if fmt.big_files else None,
        own_process and fmt.big_files,
    )
    try:
        profile = fmt.reader(source, options)
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
def _module(name: str) -> Any:
    """A format's module (``tallyroom.ballots.formats.<name>``, or a dotted name), imported
    when a file of that format is first read, written or sniffed."""
    return import_module(name if "." in name else f"tallyroom.ballots.formats.{name}")


def _lazy(module: str, function: str) -> Callable[..., Any]:
    """``module.function``, imported on the first call; named as it (``__module__``,
    ``__name__``), so the registry says where each reader and sniffer lives."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_module(module), function)(*args, **kwargs)

    call.__name__ = call.__qualname__ = function
    call.__module__ = module if "." in module else f"tallyroom.ballots.formats.{module}"
    return call


def _module_votetable() -> Any:
    return _module("tallyroom.ballots.votetable")


def _from_module(
    name: str,
    description: str,
    module: str,
    extensions: tuple[str, ...] = (),
    *,
    writer: str | None = None,
    sniff: str | None = "sniff",
    writer_module: str | None = None,
    **flags: bool,
) -> None:
    """Register the format ``name`` read by ``module.read_source`` (the one signature),
    sniffed by the function of ``module`` named ``sniff`` (None: not from its content) and
    written by the one named ``writer`` (None: read only), of ``writer_module`` where the
    writer lives elsewhere."""
    register(
        Format(
            name,
            description,
            extensions,
            _lazy(module, "read_source"),
            _lazy(writer_module or module, writer) if writer else None,
            _lazy(module, sniff) if sniff else None,
            **flags,
        )
    )


_from_module(
    "json",
    "tallyroom's own JSON (tallyroom.ballots/1): everything in a profile, exact weights",
    "json_format",
    ("json",),
    writer="write_json",
)
_from_module(
    "blt",
    "BLT (ERS, OpenSTV, Droop, eSTV): weighted ranked ballots, seats, withdrawn candidates",
    "blt",
    ("blt",),
    writer="write_blt",
    big_files=True,
)
_from_module(
    "preflib",
    "PrefLib ordinal data (.soi .soc .toi .toc): counted orders, ties in braces; no seats",
    "preflib",
    ("soi", "soc", "toi", "toc"),
    writer="write_preflib",
)
_from_module(
    "stv",
    "STV.pm .stv files (votelib): candidate codes, 3X counts, ordered or embedded BLT; read only",
    "stv",
    ("stv",),
)
_from_module(
    "votekit-csv",
    "VoteKit rank profile CSV (PreferenceProfile.to_csv): ranks as sets of prefixes",
    "csv",
    sniff="sniff_votekit",
)
_from_module(
    "votetable",
    "party-list vote table, semicolon-separated: party;<constituency>... with a row per "
    "party, or party;coalition;votes[;seats] rows; --seats required; read only",
    "tallyroom.ballots.votetable",
    ("votes",),
    needs_path=True,
    parties=True,
)
_from_module(
    "csv",
    "CSV, layout from the header row: wide (a column per rank), long, approval or VoteKit",
    "csv",
    ("csv", "tsv"),
    writer="write_csv",
)
_from_module(
    "csv-wide",
    "CSV with a header row and a column per rank (Rank 1, Rank 2 ...), optional Weight",
    "csv",
    writer="write_wide_csv",
    sniff=None,
)
_from_module(
    "csv-long",
    "CSV with one row per mark: ballot_id,rank,choice ($UNDERVOTE, $OVERVOTE)",
    "csv",
    writer="write_long_csv",
    sniff=None,
)
_from_module(
    "csv-approval",
    "CSV with a column per candidate and 1/X marks: approval ballots",
    "csv",
    writer="write_approval_csv",
    sniff=None,
)
_from_module(
    "ess",
    "ES&S cast-vote records (.xlsx) as RCTab reads them; read only",
    "ess",
    ("xlsx",),
    needs_path=True,
)
_from_module(
    "cdf-json",
    "NIST SP 1500-103 cast-vote records, JSON (as RCTab reads and writes them)",
    "tallyroom.ballots.cdf",
    writer="write_cdf_json",
    writer_module="rctab_cvr",
    content_first=True,
    contests=True,
)
_from_module(
    "dominion",
    "Dominion CVR export (a folder of JSON manifests and CvrExport*.json; give the folder "
    "or one of its files) as RCTab reads it; read only",
    "dominion",
    needs_path=True,
    content_first=True,
    contests=True,
)
_from_module(
    "cdf-xml",
    "NIST SP 1500-103 cast-vote records, XML, Unisyn's exports too (as RCTab reads them); "
    "read only",
    "cdf_xml",
    contests=True,
)
_from_module(
    "clearballot",
    "Clear Ballot ClearVote cast-vote records (CSV, a column per choice and rank) as RCTab "
    "reads them; read only",
    "clearballot",
    content_first=True,
    contests=True,
)
_from_module(
    "hart",
    "Hart Verity cast-vote records (a folder of XML files, one per paper) as RCTab reads "
    "them; read only",
    "hart",
    needs_path=True,
    contests=True,
)
_from_module(
    "rctab-csv",
    "RCTab's generic CSV cast-vote records (a column per candidate holding rank numbers)",
    "rctab_csv",
    writer="write_rctab_csv",
    sniff=None,
)

__all__ = [
    "FORMATS",
    "Format",
    "ReadOptions",
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
