"""Layers import downward only: cli -> analysis, service, sealed -> reports -> rules ->
record -> ballots -> numbers, errors (docs/architecture.md).  Read from the import graph of
``src/tallyroom`` (imports inside functions count too).  The crossings not yet mended are
listed in :data:`KNOWN`; a new one fails here, and so does a listed one that is gone."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent / "src" / "tallyroom"

#: a module's layer: the longest matching prefix of its dotted name
LAYERS = {
    "tallyroom.numbers": 0,
    "tallyroom.errors": 0,
    "tallyroom.ballots": 1,
    "tallyroom.record": 2,
    "tallyroom._result_json": 2,
    "tallyroom.rules": 3,
    "tallyroom.reports": 4,
    "tallyroom.rctab": 5,
    "tallyroom.analysis": 5,
    "tallyroom.sealed": 5,
    "tallyroom.service": 6,
    "tallyroom.cli": 7,
    "tallyroom": 8,  # the package's __init__: the curated public face, above everything
}

#: crossings found and not yet mended (issue 14), each (importer, imported)
KNOWN: set[tuple[str, str]] = set()


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            out.add(base)
    return {m for m in out if m == "tallyroom" or m.startswith("tallyroom.")}


def crossings() -> set[tuple[str, str]]:
    found = set()
    for path in SRC.rglob("*.py"):
        me = module_name(path)
        for target in imports(path):
            # ``from tallyroom import __version__`` is the one name every layer may take
            if me != "tallyroom" and target != "tallyroom" and layer(target) > layer(me):
                found.add((me, target))
    return found


def test_layers_import_downward_only() -> None:
    found = crossings()
    assert found - KNOWN == set(), "a module imports a layer above its own"
    assert KNOWN - found == set(), "a known crossing is mended: take it off the list"


def test_the_library_layers_hold_no_commands() -> None:
    """Click commands live in the CLI layer (``tallyroom.cli``; the sealed box's and the
    service's beside them): ``analysis`` and everything below it is library only."""
    found = set()
    for path in SRC.rglob("*.py"):
        me = module_name(path)
        if me == "tallyroom" or layer(me) > LAYERS["tallyroom.analysis"]:
            continue
        if me == "tallyroom.sealed.cli":
            continue  # `tallyroom trustee` and `verify`, beside the sealed box they drive
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "click" or n.startswith("click.") for n in names):
                found.add(me)
    assert found == set()
