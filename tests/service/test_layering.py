"""The service stands on tallyroom's public API only, and the library never imports the
service (layers import downward). The allowed names are listed here: a new need is a
change to this list, made on purpose."""

from __future__ import annotations

import ast
from pathlib import Path

import tallyroom
import tallyroom.sealed

SRC = Path(tallyroom.__file__).parent
SERVICE = SRC / "service"

#: what the service may import from the library, module -> names (None: the module itself)
PUBLIC = {
    "tallyroom": set(tallyroom.__all__),
    "tallyroom.reports": {"render"},  # the library's report writers, pure functions of a record
    "tallyroom.ballots.formats": {"write"},  # the library's ballot-file writers
    # the sealed box's service-facing interface (issue 17), for the sealed ballot box
    "tallyroom.sealed": set(tallyroom.sealed.__all__),
}


def _imports(path: Path) -> list[tuple[int, str, str | None]]:
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [(node.lineno, node.module, a.name) for a in node.names]
    return out


def test_the_service_imports_only_the_public_api():
    wrong = []
    files = sorted(SERVICE.rglob("*.py"))
    assert len(files) >= 10
    for f in files:
        for line, module, name in _imports(f):
            if not module.startswith("tallyroom") or module.startswith("tallyroom.service"):
                continue
            if name is None:
                ok = module == "tallyroom"
            else:
                ok = name in PUBLIC.get(module, set())
            if not ok:
                wrong.append(f"{f.relative_to(SRC)}:{line}: {module} {name or ''}")
    assert wrong == []


def test_the_service_uses_only_public_names_of_the_library_module():
    """``tallyroom.X`` attribute uses inside the service are public names too."""
    wrong = []
    for f in sorted(SERVICE.rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "tallyroom"
                and node.attr not in tallyroom.__all__
            ):
                wrong.append(f"{f.relative_to(SRC)}:{node.lineno}: tallyroom.{node.attr}")
    assert wrong == []


def test_the_library_does_not_import_the_service():
    wrong = []
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC)
        if rel.parts[0] in ("service", "cli"):  # the CLI front registers it
            continue
        for line, module, _ in _imports(f):
            if module.startswith("tallyroom.service"):
                wrong.append(f"{rel}:{line}: {module}")
    assert wrong == []
