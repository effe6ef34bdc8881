"""Python functions behind ``hyperribbon lemmas``, ``verify`` and ``errata`` (the CLI is a thin
shell over these).

Examples
--------
>>> verdicts = verify("5.2.2", n=20, c=0.3, alpha=0.9, T=30, sigma_w2=0.1, sigma_star2=2.0)
>>> [(v.lemma_id, v.status.value) for v in verdicts]
[('thesis-lemma-5.2.2', 'holds')]
"""
from __future__ import annotations

import numpy as np

import hyperribbon.numerics  # noqa: F401  (installs the measuring oracle)
from hyperribbon.theory import errata as _errata
from hyperribbon.theory import registry
from hyperribbon.theory.linear_models.problems import LinearGDProblem
from hyperribbon.theory.verdict import Verdict

__all__ = ["DEFAULTS", "VARIANT_DEFAULTS", "lemma_table", "make_problem", "problem_for", "verify",
           "errata_rows"]

#: The thesis's Fig 5.2 setting (n = 50, c = 0.2, T = 50, σw² = 0.1, σ*² = 2); α = 0.9 is this
#: toolkit's choice (Fig 5.2 does not state it; it satisfies assumption (iii) α < 1/λ1 = 1).
DEFAULTS = dict(n=50, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0, seed=0,
                lambda1=1.0)
#: Defaults of the §5.3 variants (batch size, weight decay, kernel slopes, network width).
VARIANT_DEFAULTS = dict(batch_size=1, weight_decay=0.1, slopes=(0.2, 0.3, 0.5), width=4)


def lemma_table() -> list[dict]:
    """One row per registered lemma: id, thesis number, variant, provenance, status."""
    return [lem.summary() for lem in registry.all_lemmas()]


def make_problem(**params) -> LinearGDProblem:
    """The sloppy problem of :meth:`LinearGDProblem.sloppy`, defaults :data:`DEFAULTS`."""
    p = dict(DEFAULTS)
    p.update({k: v for k, v in params.items() if v is not None})
    return LinearGDProblem.sloppy(**p)


def problem_for(lemma, **params):
    """The problem a lemma checks, built from ``params`` (:data:`DEFAULTS` and
    :data:`VARIANT_DEFAULTS`): the sloppy linear problem, wrapped or replaced for §5.3."""
    from hyperribbon.theory.linear_models.deep_linear import DeepLinearProblem
    from hyperribbon.theory.linear_models.kernels import MultiKernelProblem
    from hyperribbon.theory.linear_models.sgd import SGDProblem
    from hyperribbon.theory.linear_models.weight_decay import WeightDecayProblem
    extra = dict(VARIANT_DEFAULTS)
    extra.update({k: params.pop(k) for k in list(params) if k in VARIANT_DEFAULTS
                  and params[k] is not None})
    for k in VARIANT_DEFAULTS:
        params.pop(k, None)
    kind = lemma.problem_type
    if kind is LinearGDProblem:
        return make_problem(**params)
    if kind is SGDProblem:
        return SGDProblem(make_problem(**params), extra["batch_size"])
    if kind is WeightDecayProblem:
        return WeightDecayProblem(make_problem(**params), extra["weight_decay"])
    p = dict(DEFAULTS)
    p.update({k: v for k, v in params.items() if v is not None})
    if kind is MultiKernelProblem:
        return MultiKernelProblem.sloppy(n=p["n"], slopes=tuple(extra["slopes"]),
                                         alpha=p["alpha"], T=p["T"], sigma_w2=p["sigma_w2"],
                                         sigma_star2=p["sigma_star2"], seed=p["seed"])
    if kind is DeepLinearProblem:
        base = DeepLinearProblem.synthetic(n=min(p["n"], 20), d=min(p["n"], 20) + 4,
                                           p=extra["width"], seed=p["seed"], T=p["T"])
        curv = float(np.linalg.norm(base.X, 2) ** 2 * (1 + np.linalg.norm(base.y)))
        return DeepLinearProblem(base.X, base.y, base.width, 0.5 / curv, base.T,
                                 base.init_scale, True, base.seed)
    from hyperribbon.theory.prediction_space.infogeo import PremetricSpace, ProbabilityEnsemble
    if kind is ProbabilityEnsemble:
        return ProbabilityEnsemble.confident(n_samples=p["n"], n_classes=10,
                                             error_rates=[0.0, 0.5, 0.8, 0.875], seed=p["seed"])
    if kind is PremetricSpace:
        return PremetricSpace.random_bhattacharyya(m=min(p["n"], 40), seed=p["seed"])
    raise TypeError(f"no problem builder for {kind.__name__}")  # pragma: no cover


def verify(key: str = "all", **params) -> list[Verdict]:
    """Check the lemma(s) addressed by ``key`` ("all", an id, a number such as "5.2.3" or
    "(5.2.10)") on the problem built from ``params`` by :func:`problem_for`."""
    lemmas = registry.all_lemmas() if key == "all" else [registry.get(key)]
    return [lem.check(problem_for(lem, **dict(params))) for lem in lemmas]


def errata_rows() -> list[dict]:
    """The regenerated errata table (see :mod:`hyperribbon.theory.errata`)."""
    return _errata.regenerate()
