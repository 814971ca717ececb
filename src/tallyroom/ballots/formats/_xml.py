"""Streaming XML for the cast-vote-record readers: the document read in chunks with expat,
each child of the root handed over as a small tree and then dropped.

Document type declarations are refused (no entity can expand, no external file is
fetched); every element keeps the line it starts on, so that a reader can refuse a
malformed record as ``file:line`` with the XML path of what was wrong.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from tallyroom.errors import BallotFileError

CHUNK = 1 << 16
#: deeper than this is not a cast-vote record
MAX_DEPTH = 64
#: the most characters of text one element may hold
MAX_TEXT = 100_000


@dataclass
class Node:
    """An element: its local name (namespace dropped), attributes, line, children, text."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()

    def all(self, tag: str) -> Iterator[Node]:
        return (c for c in self.children if c.tag == tag)

    def first(self, tag: str) -> Node | None:
        return next(self.all(tag), None)

    def value(self, tag: str) -> str | None:
        """The text of the first child named ``tag`` (None when there is none)."""
        c = self.first(tag)
        return None if c is None else c.text

    def attr(self, name: str) -> str | None:
        """An attribute by its local name."""
        for k, v in self.attrs.items():
            if k == name or k.rpartition(" ")[2] == name or k.rpartition(":")[2] == name:
                return v
        return None


def _local(name: str) -> str:
    # expat with namespace_separator=" " gives "uri local"; without a namespace, "local"
    return name.rpartition(" ")[2]


def stream(
    path: str | os.PathLike[str] | BinaryIO,
    name: str,
    on_child: Callable[[Node], None],
    *,
    expected: str,
    root: Callable[[Node], None] | None = None,
) -> None:
    """Parse the XML document at ``path``; call ``on_child`` with each complete child of the
    root element (and ``root`` with the root, childless, when it starts)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[Node] = []

    def refuse_dtd(*_: object) -> None:
        raise BallotFileError(
            name,
            parser.CurrentLineNumber,
            parser.CurrentColumnNumber + 1,
            "a document type declaration",
            f"{expected} without a DTD (entities are not expanded here)",
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise BallotFileError(
                name,
                parser.CurrentLineNumber,
                None,
                f"elements nested {MAX_DEPTH} deep",
                expected,
            )
        node = Node(_local(tag), attrs, parser.CurrentLineNumber)
        if stack:
            if len(stack) > 1:
                stack[-1].children.append(node)
        elif root is not None:
            root(node)
        stack.append(node)

    def end(tag: str) -> None:
        node = stack.pop()
        if len(stack) == 1:
            on_child(node)

    def chars(data: str) -> None:
        if len(stack) > 1:
            top = stack[-1]
            top.parts.append(data)
            if len(top.parts) > 64 and sum(map(len, top.parts)) > MAX_TEXT:
                raise BallotFileError(
                    name,
                    parser.CurrentLineNumber,
                    None,
                    f"more than {MAX_TEXT:,} characters of text in <{top.tag}>",
                    expected,
                )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.buffer_text = True

    def feed(f: BinaryIO) -> None:
        try:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    break
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as e:
            raise BallotFileError(
                name, e.lineno, e.offset + 1, expat.errors.messages[e.code], expected
            ) from None

    if hasattr(path, "read"):
        feed(path)  # type: ignore[arg-type]
        return
    try:
        with open(path, "rb") as f:  # type: ignore[arg-type]
            feed(f)
    except FileNotFoundError:
        raise BallotFileError(name, None, None, "no such file", expected) from None
    except IsADirectoryError:
        raise BallotFileError(name, None, None, "a directory", expected) from None
    except PermissionError:
        raise BallotFileError(name, None, None, "no permission to read", expected) from None
