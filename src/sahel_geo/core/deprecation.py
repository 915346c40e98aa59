"""Deprecated keywords: old spellings keep working for a while, with a dated warning.

Every deprecation names the version that removes it (STYLE: no open-ended
deprecations), and raises when an old and a new spelling are both given.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["deprecated_keywords"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def deprecated_keywords(
    *old: str,
    new: str,
    removed_in: str,
    translate: Callable[[dict[str, Any], Any], Any],
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Accept keywords ``old`` in place of ``new``, with a :class:`FutureWarning`.

    Parameters
    ----------
    *old
        The deprecated keyword names.
    new
        The keyword that replaces them.
    removed_in
        The sahel_geo version that removes them, named in the warning.
    translate
        ``translate(old_values, current)`` returns the value for ``new`` from the old
        keywords given (a dict); ``current`` is always None (passing an old and the new
        keyword together raises :class:`TypeError` before any warning).

    Returns
    -------
    callable
        A decorator.

    Examples
    --------
    >>> @deprecated_keywords("n", new="count", removed_in="0.3.0",
    ...                      translate=lambda old, cur: old["n"])
    ... def f(*, count: int = 1) -> int:
    ...     return count
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     f(n=3), str(w[0].message)
    (3, 'f(n=...) is deprecated and will be removed in sahel_geo 0.3.0; pass count= instead.')
    """

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            given = {name: kwargs.pop(name) for name in old if name in kwargs}
            if given and new in kwargs:
                raise TypeError(f"{func.__name__}: pass {new}= or {'/'.join(given)}=, not both.")
            if given:
                warnings.warn(
                    f"{func.__name__}({', '.join(f'{n}=...' for n in given)}) is deprecated "
                    f"and will be removed in sahel_geo {removed_in}; pass {new}= instead.",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = translate(given, kwargs.get(new))
            return func(*args, **kwargs)

        return wrapper

    return decorate
