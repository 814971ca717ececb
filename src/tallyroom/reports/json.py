"""The JSON result contract, ``tallyroom.result/1``.

Documented in ``docs/json-result.md``.  Every number is exact: a decimal string at the
places the rule's arithmetic works in (an exact-rational count: at least 9 places, more
where the value needs them), or ``"p/q"`` where the value has no finite decimal form, so
that no reader ever meets a float or a rounded figure.  New fields may be added within
version 1; a field is never removed or changed in meaning without a new version.
:meth:`tallyroom.record.CountRecord.from_json` reads it back.
"""

from __future__ import annotations

from tallyroom._result_json import EXACT_PLACES, FORMAT, dumps, exact_number, to_dict

__all__ = ["EXACT_PLACES", "FORMAT", "dumps", "exact_number", "to_dict"]
