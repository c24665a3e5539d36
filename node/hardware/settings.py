"""Read a config section whether it is a dataclass, a plain object or a dict.

core.config turns TOML into frozen dataclasses; tests and the simulation pass plain dicts.
Backend-specific display keys may live on the section itself or in an ``options`` mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING = object()


def setting(section: Any, key: str, default: Any = _MISSING) -> Any:
    """Return ``section.key`` / ``section[key]`` / ``section.options[key]``, else ``default``."""
    if section is not None:
        if isinstance(section, Mapping):
            if key in section:
                return section[key]
        elif hasattr(section, key):
            return getattr(section, key)
        extra = (
            section.get("options")
            if isinstance(section, Mapping)
            else getattr(section, "options", None)
        )
        if isinstance(extra, Mapping) and key in extra:
            return extra[key]
    if default is _MISSING:
        raise KeyError(key)
    return default
