"""The registry of lemmas: look a lemma up by id, thesis number, or equation number.

A plain container: subject modules call :func:`register` when they are imported, and
:mod:`hyperribbon.theory.catalogue` (imported by ``hyperribbon.theory``) imports every subject, so
the registry imports no subject and no import cycle exists.

Addressing rules: ``"thesis-lemma-5.2.3"`` (the id), ``"5.2.3"`` (a lemma number takes precedence
over an equation with the same number), ``"(5.2.10)"`` or ``"eq5.2.10"`` (equations),
``"5.2.3-corrected"`` (a variant: number + ``-`` + variant slug).
"""
from __future__ import annotations

from .errors import InvalidArgument
from .lemma import Lemma

__all__ = ["register", "get", "all_lemmas", "resolve_key"]

_REGISTRY: dict[str, Lemma] = {}


def register(lemma: Lemma) -> Lemma:
    if lemma.id in _REGISTRY and _REGISTRY[lemma.id] is not lemma:
        raise ValueError(f"duplicate lemma id {lemma.id}")
    _REGISTRY[lemma.id] = lemma
    return lemma


def _order(lem: Lemma) -> tuple:
    import re
    nums = tuple(int(x) for x in re.findall(r"\d+", lem.number.split("-")[0]))
    return nums, lem.number, lem.variant != "as written", lem.id


def all_lemmas() -> list[Lemma]:
    """Every registered lemma, ordered by thesis number (then as written before variants), so the
    order does not depend on which module happened to be imported first."""
    return sorted(_REGISTRY.values(), key=_order)


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def resolve_key(key: str) -> list[Lemma]:
    """Every lemma matching ``key`` (see module docstring); empty if none."""
    key = key.strip()
    if key in _REGISTRY:
        return [_REGISTRY[key]]
    k = key.lower().removeprefix("thesis-")
    eq = k.startswith("(") or k.startswith("eq")
    bare = k.replace("(", "").replace(")", "").removeprefix("eq").removeprefix("-")
    bare = bare.removeprefix("lemma-").strip()
    hits, variant = [], ""
    for lem in _REGISTRY.values():
        num = lem.number.strip("()").lower()
        if eq and not lem.number.startswith("("):
            continue
        if bare == num:
            hits.append(lem)
        elif bare.startswith(num + "-") and _slug(lem.variant).startswith(bare[len(num) + 1:]):
            variant = bare[len(num) + 1:]
            hits.append(lem)
    if not variant:
        as_written = [h for h in hits if h.variant == "as written"]
        lemmas = [h for h in as_written if not h.number.startswith("(")]
        hits = lemmas or as_written or hits
    return hits


def get(key: str) -> Lemma:
    """The unique lemma addressed by ``key``; a named error listing candidates otherwise."""
    hits = resolve_key(key)
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(sorted({lem.number + ("" if lem.variant == "as written" else
                                           "-" + _slug(lem.variant)) for lem in _REGISTRY.values()}))
    if not hits:
        raise InvalidArgument("key", "registry.get", f"address a registered lemma (one of: {known})",
                              key)
    raise InvalidArgument("key", "registry.get",
                          "address exactly one lemma; candidates: "
                          + ", ".join(h.id for h in hits), key)
