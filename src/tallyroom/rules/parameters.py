"""The parameter schema of a rule: each option's name, type, allowed values, default,
meaning and the clause of the rule text that fixes it.

The STV rules' schemas come from their options records (``STVOptions``, ``MeekOptions``:
the field's type gives the kind and the allowed values, its ``#:`` comment the meaning,
the preset's comment the clause); the other rules declare theirs beside their count.  The
schema checks options given to ``count`` (typed values), parses them from text
(``--option KEY=VALUE``), and is what ``tallyroom methods RULE`` shows and a service builds
a form from.
"""

from __future__ import annotations

import enum
import functools
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any, Literal, get_args, get_origin, get_type_hints

from tallyroom.errors import RuleError

Kind = Literal["choice", "bool", "int", "number", "names", "text", "mapping", "constraints"]


@dataclass(frozen=True)
class Parameter:
    """One option of a rule."""

    name: str
    kind: Kind
    default: Any
    meaning: str = ""
    #: allowed values, for ``choice``
    choices: tuple[str, ...] = ()
    #: bounds, for ``int`` and ``number`` (None: none)
    minimum: int | None = None
    maximum: int | None = None
    #: the clause of the rule text that fixes the preset's value ("" when none is cited)
    clause: str = ""
    #: ``None`` is allowed as well as the kind's values
    optional: bool = False

    def describe(self) -> dict[str, Any]:
        """Plain data (for JSON: a service's form)."""
        default = self.default
        if isinstance(default, enum.Enum):
            default = default.value
        elif isinstance(default, Fraction):
            default = str(default)
        elif isinstance(default, tuple):
            default = list(default)
        return {
            "name": self.name,
            "kind": self.kind,
            "default": default,
            "meaning": self.meaning,
            "choices": list(self.choices),
            "minimum": self.minimum,
            "maximum": self.maximum,
            "clause": self.clause,
            "optional": self.optional,
        }

    def _refuse(self, rule_id: str, value: Any, expected: str) -> RuleError:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return RuleError(f"{rule_id}: option {self.name} cannot be {shown}; expected {expected}")

    def check(self, rule_id: str, value: Any) -> Any:
        """``value`` as the rule takes it, or a RuleError saying what is allowed."""
        if value is None and self.optional:
            return None
        if self.kind == "choice":
            v = value.value if isinstance(value, enum.Enum) else value
            if not isinstance(v, str) or v not in self.choices:
                raise self._refuse(rule_id, value, "one of: " + ", ".join(self.choices))
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise self._refuse(rule_id, value, "true or false")
            return value
        if self.kind in ("int", "number"):
            ok = (int, Fraction) if self.kind == "number" else (int,)
            if isinstance(value, bool) or not isinstance(value, ok):
                what = "a whole number" if self.kind == "int" else "a number"
                raise self._refuse(rule_id, value, what)
            if self.minimum is not None and value < self.minimum:
                raise self._refuse(rule_id, value, f"at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise self._refuse(rule_id, value, f"at most {self.maximum}")
            return value
        if self.kind == "names":
            items = (value,) if isinstance(value, str) else value
            if not isinstance(items, Iterable) or not all(isinstance(n, str) for n in items):
                raise self._refuse(rule_id, value, "candidates' names")
            return tuple(items)
        if self.kind == "text":
            if not isinstance(value, str | int | Fraction) or isinstance(value, bool):
                raise self._refuse(rule_id, value, "a value such as 5% or 1/20")
            return value
        if self.kind == "constraints":
            return value  # checked when read (constraints.coerce)
        if not isinstance(value, Mapping):
            raise self._refuse(rule_id, value, "a table of values")
        return value

    def parse(self, rule_id: str, text: str) -> Any:
        """The value of ``KEY=VALUE`` text (``--option``), checked."""
        t = text.strip()
        if self.optional and t.lower() in ("none", "null", ""):
            return None
        if self.kind == "bool":
            low = t.lower()
            if low in ("true", "yes", "1", "on"):
                return True
            if low in ("false", "no", "0", "off"):
                return False
            raise self._refuse(rule_id, t, "true or false")
        if self.kind == "int":
            if not re.fullmatch(r"[+-]?[0-9]{1,30}", t):
                raise self._refuse(rule_id, t, "a whole number")
            return self.check(rule_id, int(t))
        if self.kind == "number":
            if not re.fullmatch(r"[+-]?[0-9]{1,30}(\.[0-9]{1,30})?(/[0-9]{1,30})?", t):
                raise self._refuse(rule_id, t, "a number such as 2, 0.5 or 1/3")
            try:
                return self.check(rule_id, _number(t))
            except ZeroDivisionError:
                raise self._refuse(rule_id, t, "a fraction whose denominator is not 0") from None
        if self.kind == "names":
            return tuple(n.strip() for n in t.split(",") if n.strip())
        if self.kind == "constraints":
            return [c.strip() for c in t.split(";") if c.strip()]
        if self.kind == "mapping":
            out: dict[str, str] = {}
            for item in t.split(","):
                k, sep, v = item.partition(":")
                if not sep or not k.strip():
                    raise self._refuse(rule_id, t, "KEY:VALUE pairs separated by commas")
                out[k.strip()] = v.strip()
            return out
        return self.check(rule_id, t)


def _number(text: str) -> int | Fraction:
    f = Fraction(text)
    return f.numerator if f.denominator == 1 else f


# -- the schema of an options record ----------------------------------------------------------
@functools.cache
def field_meanings(cls: Any) -> dict[str, str]:
    """Each field's ``#:`` comment in the source of ``cls`` (the meaning of the option)."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    comment: list[str] = []
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("#:"):
            comment.append(s[2:].strip())
            continue
        m = re.match(r"([a-z_][a-z0-9_]*)\s*:", s)
        if m and comment:
            out[m.group(1)] = re.sub(r"\s+", " ", " ".join(comment)).strip()
        if s and not s.startswith("#"):
            comment = []
    return out


def preset_clauses(module: Any, name: str) -> dict[str, str]:
    """The clause cited beside each field of the preset ``name`` in ``module``'s source
    (``quota="droop",  # r.46(1): valid papers / (councillors + 1)``)."""
    try:
        lines = inspect.getsource(module).splitlines()
    except (OSError, TypeError):
        return {}
    start = re.compile(rf"^{re.escape(name)}(\s*:[^=]*)?\s*=\s*[A-Za-z_.]+\($")
    out: dict[str, str] = {}
    inside = False
    for line in lines:
        if not inside:
            inside = bool(start.match(line.rstrip()))
            continue
        if line.startswith(")"):
            break
        m = re.match(r"\s+([a-z_][a-z0-9_]*)=.*?#\s*(.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def _kind(hint: Any) -> tuple[Kind, dict[str, Any]]:
    if get_origin(hint) is Literal:
        return "choice", {"choices": tuple(str(a) for a in get_args(hint))}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "choice", {"choices": tuple(str(m.value) for m in hint)}
    if hint is bool:
        return "bool", {}
    if hint is int:
        return "int", {"minimum": 0}
    if get_origin(hint) is tuple:
        return "names", {}
    return "text", {}


@functools.cache
def _field_kinds(cls: Any) -> tuple[Parameter, ...]:
    """The kind of each field of an options record class (defaults, meanings aside)."""
    hints = get_type_hints(cls)
    bounds: Mapping[str, tuple[int, int | None]] = getattr(cls, "BOUNDS", {})
    out = []
    for f in fields(cls):
        kind, kw = _kind(hints[f.name])
        if f.name in bounds:
            kw["minimum"], kw["maximum"] = bounds[f.name]
        out.append(Parameter(f.name, kind, None, **kw))
    return tuple(out)


def validate_record(record: Any, label: str) -> None:
    """Every field of an options record of the kind and in the range its type states (a
    RuleError naming the option and what is allowed): no junk is counted or recorded."""
    cls: Any = type(record)
    for p in _field_kinds(cls):
        p.check(label, getattr(record, p.name))


def schema_of(
    record: Any, *, clauses: Mapping[str, str] | None = None, skip: Iterable[str] = ()
) -> tuple[Parameter, ...]:
    """The parameters of an options record (a dataclass instance: its values are the
    defaults), from its fields' types, bounds and ``#:`` comments."""
    from dataclasses import replace

    cls: Any = type(record)
    meanings = field_meanings(cls)
    left_out = set(skip)
    return tuple(
        replace(
            p,
            default=getattr(record, p.name),
            meaning=meanings.get(p.name, ""),
            clause=(clauses or {}).get(p.name, ""),
        )
        for p in _field_kinds(cls)
        if p.name not in left_out
    )


# -- checking and parsing options --------------------------------------------------------------
def check_options(
    rule_id: str, params: Sequence[Parameter], options: Mapping[str, Any]
) -> dict[str, Any]:
    """``options`` checked against the schema: an unknown name or a value of the wrong type
    is a RuleError naming the rule, the option and what is allowed."""
    by_name = {p.name: p for p in params}
    unknown = sorted(set(options) - set(by_name))
    if unknown:
        allowed = ", ".join(sorted(by_name)) or "none"
        raise RuleError(f"{rule_id}: unknown option(s) {', '.join(unknown)}; options: {allowed}")
    return {k: by_name[k].check(rule_id, v) for k, v in options.items()}


def parse_options(
    rule_id: str, params: Sequence[Parameter], items: Iterable[str]
) -> dict[str, Any]:
    """``KEY=VALUE`` texts (``--option``) as typed options, by the rule's schema."""
    by_name = {p.name: p for p in params}
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RuleError(f"option {item!r}: expected KEY=VALUE")
        name = key.strip().replace("-", "_")
        if name not in by_name:
            allowed = ", ".join(sorted(by_name)) or "none"
            raise RuleError(f"{rule_id}: unknown option {name}; options: {allowed}")
        out[name] = by_name[name].parse(rule_id, value)
    return out
