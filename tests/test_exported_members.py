"""The public API, pinned (as httpx pins its own): every public name of ``tallyroom`` is
in ``__all__``, and every name in ``__all__`` is there, importable and documented."""

from __future__ import annotations

import types

import tallyroom


def test_all_public_members_are_exported() -> None:
    public = sorted(
        name
        for name, value in vars(tallyroom).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)  # subpackages, imported as attributes
        and name not in ("annotations",)
    )
    assert tallyroom.__all__ == public


def test_every_export_is_documented() -> None:
    for name in tallyroom.__all__:
        if name == "__version__":
            continue
        assert getattr(tallyroom, name).__doc__, name


def test_rules_means_the_package() -> None:
    import tallyroom.rules

    assert isinstance(tallyroom.rules, types.ModuleType)
    assert {r.id for r in tallyroom.counting_rules()} >= {"scottish-stv", "irv", "meek-stv"}


def test_the_package_is_typed() -> None:
    from importlib import resources

    assert resources.files("tallyroom").joinpath("py.typed").is_file()
