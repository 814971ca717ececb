"""One spelling for every message: canonical JSON, and the hashes over it.

Belenios hashes "the serialization ... as a JSON compact string" (spec §4.15); we fix that
serialization as sorted keys, no spaces, UTF-8 -- so that a record re-serialized by anyone
hashes the same, and a record that is not in that form is refused (any byte changed shows).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(obj: Any) -> str:
    return hashlib.sha256(canonical(obj)).hexdigest()


def hjson(obj: Any) -> str:
    """spec §4.15 H_JSON(J) = BASE64(SHA256(J)), "the Base64 encoding is done without
    padding": the election fingerprint and the smart ballot tracker."""
    return base64.b64encode(hashlib.sha256(canonical(obj)).digest()).decode().rstrip("=")
