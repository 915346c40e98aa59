"""Place-name normalisation and matching (pure functions, no I/O).

Admin names differ between sources in accents (Ségou/Segou), case, punctuation
(Plateau-Central/Plateau Central), spacing (Mou Houn/Mouhoun), generic words ("Mopti
region", "Province du Houet"), spelling (Tombouctou/Timbuktu) and broken encodings
(``TillabÃ©ri``, UTF-8 read as Latin-1). :func:`normalize_name` removes the first five and
repairs the last; alternative spellings come from the boundaries' ``name_alt`` and from
:data:`ALIASES`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ALIASES", "NameMatch", "match_names", "normalize_name"]

#: Generic words dropped from names before matching (after accent folding, lower case).
GENERIC_WORDS: frozenset[str] = frozenset(
    {
        "region",
        "regions",
        "province",
        "provinces",
        "cercle",
        "departement",
        "department",
        "commune",
        "communes",
        "prefecture",
        "district",
        "state",
        "du",
        "de",
        "des",
        "la",
        "le",
        "of",
        "the",
        "rurale",
        "urbaine",
        "urban",
        "rural",
    }
)

#: Similarity (difflib ratio) a name needs to match a single closest target as "fuzzy".
FUZZY_CUTOFF = 0.8

#: Known alternative spellings (normalised form -> normalised form of the same place).
ALIASES: dict[str, str] = {
    "timbuktu": "tombouctou",
    "timbouctou": "tombouctou",
    "tombuctu": "tombouctou",
    "agades": "agadez",
    "tillabery": "tillaberi",
    "segu": "segou",
    "taoudeni": "taoudenit",
    "mouhoun": "mou houn",
}

_SEP = re.compile(r"[\s\-_'’`.,/()]+")


def _fix_mojibake(text: str) -> str:
    if "Ã" in text or "Â" in text:
        try:
            return text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text
    return text


def normalize_name(name: object) -> str:
    """Return a matching key for a place name.

    Repairs UTF-8 read as Latin-1, folds accents, lower-cases, turns punctuation into
    spaces and drops generic words (region, province, cercle, ...).

    Parameters
    ----------
    name
        A name (anything else, e.g. NaN, gives ``""``).

    Returns
    -------
    str
        The key.

    Examples
    --------
    >>> normalize_name("Région de Ségou")
    'segou'
    >>> normalize_name("TillabÃ©ri"), normalize_name("Plateau-Central")
    ('tillaberi', 'plateau central')
    """
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFKD", _fix_mojibake(name.strip()))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = [w for w in _SEP.split(text) if w and w not in GENERIC_WORDS]
    return " ".join(words)


@dataclass(frozen=True)
class NameMatch:
    """The result of matching one source name.

    Attributes
    ----------
    target
        Index of the matched target (None if unmatched).
    how
        ``"name"``, ``"alt_name"``, ``"alias"``, ``"fuzzy"``, ``"unmatched"`` or
        ``"ambiguous"``.
    """

    target: int | None
    how: str


def _keys(key: str) -> list[str]:
    out = [key]
    if key in ALIASES:
        out.append(ALIASES[key])
    squeezed = key.replace(" ", "")
    if squeezed != key:
        out.append(squeezed)
    return out


def match_names(
    names: Sequence[object],
    targets: Sequence[object],
    *,
    target_alt: Sequence[object] | None = None,
    groups: Sequence[object] | None = None,
    target_groups: Sequence[object] | None = None,
) -> list[NameMatch]:
    """Match source names to target names (e.g. admin units), within groups if given.

    Tried in order: the normalised name, then the targets' alternative names
    (``|``-separated, Natural Earth's ``name_alt``), then :data:`ALIASES` and the name
    without spaces, then a single closest spelling (difflib ratio >= :data:`FUZZY_CUTOFF`,
    ``"fuzzy"``: check these). A name matching several targets equally is ``ambiguous``.

    Parameters
    ----------
    names
        Source names.
    targets
        Target names.
    target_alt
        Alternative names of each target, ``|``-separated (or None).
    groups, target_groups
        Group of each source name and each target (e.g. country ISO3); a name only
        matches targets of its own group. None: no grouping.

    Returns
    -------
    list of NameMatch
        One per source name.

    Examples
    --------
    >>> [m.target for m in match_names(["Tombouctou", "Mopti region", "X"],
    ...                                ["Timbuktu", "Mopti"],
    ...                                target_alt=["Timbouctou|Tombouctou", None])]
    [0, 1, None]
    """
    n_t = len(targets)
    tg = list(target_groups) if target_groups is not None else [None] * n_t
    primary: dict[tuple[object, str], set[int]] = {}
    alternative: dict[tuple[object, str], set[int]] = {}
    variants: dict[tuple[object, str], set[int]] = {}
    for i, (t, g) in enumerate(zip(targets, tg, strict=True)):
        forms = [normalize_name(t)]
        if target_alt is not None and isinstance(target_alt[i], str):
            alts = [normalize_name(a) for a in str(target_alt[i]).split("|")]
            for k in alts:
                if k:
                    alternative.setdefault((g, k), set()).add(i)
            forms += alts
        if forms[0]:
            primary.setdefault((g, forms[0]), set()).add(i)
        for f in forms:
            for k in _keys(f):
                if k:
                    variants.setdefault((g, k), set()).add(i)
    sg = list(groups) if groups is not None else [None] * len(names)
    if target_groups is None:
        sg = [None] * len(names)
    cache: dict[tuple[object, str], NameMatch] = {}
    out = []
    for name, g in zip(names, sg, strict=True):
        key = normalize_name(name)
        if (g, key) not in cache:
            cache[(g, key)] = _match_one(key, g, primary, alternative, variants)
        out.append(cache[(g, key)])
    return out


def _match_one(
    key: str,
    group: object,
    primary: Mapping[tuple[object, str], set[int]],
    alternative: Mapping[tuple[object, str], set[int]],
    variants: Mapping[tuple[object, str], set[int]],
) -> NameMatch:
    if not key:
        return NameMatch(None, "unmatched")
    for how, table, keys in (
        ("name", primary, [key]),
        ("alt_name", alternative, [key]),
        ("alias", variants, _keys(key)),
    ):
        hits: set[int] = set()
        for k in keys:
            hits |= table.get((group, k), set())
        if len(hits) > 1:
            return NameMatch(None, "ambiguous")
        if hits:
            return NameMatch(next(iter(hits)), how)
    # Last resort: one clearly closest spelling in the group (Comoe/Komoé).
    pool = {k: v for (g, k), v in variants.items() if g == group and len(v) == 1}
    close = difflib.get_close_matches(key, list(pool), n=2, cutoff=FUZZY_CUTOFF)
    if close and (len(close) == 1 or pool[close[0]] == pool[close[1]]):
        return NameMatch(next(iter(pool[close[0]])), "fuzzy")
    return NameMatch(None, "unmatched")
