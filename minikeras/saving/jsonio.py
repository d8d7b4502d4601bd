"""JSON from a file, with bounds: a size limit, a nesting limit, and one clear error.

Python's parser recurses once per level of ``[`` or ``{``: a few kilobytes of ``[[[[...``
end in a ``RecursionError``. The depth is counted first, in one pass without recursion.

>>> parse_json(b'{"a": [1, 2]}', "m.keras", "config.json")
{'a': [1, 2]}
>>> parse_json(b"[" * 500 + b"]" * 500, "m.keras", "config.json")
Traceback (most recent call last):
...
minikeras.saving.errors.FileFormatError: m.keras: config.json is nested 500 levels deep; a model config needs at most 100
"""
from __future__ import annotations

import json
import re

from minikeras.saving.errors import FileFormatError

MAX_DEPTH = 100  # a model nested in a model ... still needs fewer than 40
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of brackets outside strings."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub(b'""', data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(data: bytes, path, member: str):
    """Decode ``data`` (UTF-8 JSON) or raise ``FileFormatError`` naming ``path`` and
    ``member``."""
    depth = nesting_depth(data)
    if depth > MAX_DEPTH:
        raise FileFormatError(path, f"{member} is nested {depth} levels deep; a model "
                                    f"config needs at most {MAX_DEPTH}")
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise FileFormatError(path, f"{member} is not UTF-8 text ({e.reason} at byte "
                                    f"{e.start})") from None
    except (ValueError, RecursionError) as e:
        raise FileFormatError(path, f"{member} is not valid JSON ({e})") from None
