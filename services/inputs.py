"""What a browser sends is JSON anyone can forge: ids and versions are checked here, once."""
from __future__ import annotations


def strict_int(value: object) -> int | None:
    """An integer as JSON carries it (not a bool, a float or a string), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def id_from_text(value: object) -> int | None:
    """A row id as AG Grid or a select sends it ("42") or as an integer, else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return strict_int(value)
