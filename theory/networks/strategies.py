r"""Hypothesis strategies for the Chapter-4 problem types, drawn from their declared domains
(:data:`~.problem.NETWORK_DOMAINS`, :data:`~.generalization.PAC_BAYES_DOMAINS`), and registered
with the framework (:func:`hyperribbon.theory.strategy_registry.register_strategy`) so that
``hyperribbon falsify`` finds them.

* :func:`network_problems` — small random networks: 0–2 hidden layers (1–3 weight matrices),
  widths 1–8, 2–4 classes, ReLU / leaky ReLU / tanh / identity, and activations outside the
  assumption (sigmoid, an unknown ``other:GELU``), per-layer weight scales over two decades,
  inputs with spectrum :math:`\lambda_i = s\,e^{-c(i-1)}`, :math:`s\in[e^{-2}, e^4]`, teacher or
  random labels, biases
  absent, zero or nonzero, cross-entropy or mse. Each draw checks in well under 50 ms.
* :func:`pac_bayes_problems` — Hessian spectra (sloppy, plateau-then-drop, log-normal), n, ε,
  ‖w − w0‖², ê, δ.
* :func:`kernel_problems` — Gaussian inputs and affine or quadratic kernel functions.

Examples
--------
>>> from hypothesis import given, settings
>>> @settings(max_examples=5, deadline=None)
... @given(network_problems(max_width=4))
... def prop(p):
...     assert max(p.widths) <= 4 and p.depth <= 2
>>> prop()
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..strategy_registry import from_domain, register_strategy
from .generalization import PAC_BAYES_DOMAINS, PacBayesProblem
from .kernel import InnerProductKernelProblem
from .problem import NETWORK_DOMAINS, NetworkProblem

__all__ = ["network_problems", "pac_bayes_problems", "kernel_problems", "ACTIVATIONS"]

#: Activations drawn: four satisfy |σ'| ≤ a, σ(0) = 0; sigmoid and an unknown one do not.
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "identity", "sigmoid", "other:GELU")


@st.composite
def network_problems(draw, *, max_depth: int = 2, max_width: int = 8, max_n: int = 8,
                     max_classes: int = 4, activations=ACTIVATIONS,
                     losses=("cross_entropy", "mse"), biases=True) -> NetworkProblem:
    """Small random networks (see the module docstring)."""
    D = NETWORK_DOMAINS
    L = draw(st.integers(0, max_depth))
    # width 1 (which makes several bounds exact equalities, hence undecided) one time in ten
    widths = [1 if draw(st.integers(0, 9)) == 0 else draw(st.integers(min(2, max_width),
                                                                       max_width))
              for _ in range(L + 1)]
    widths.append(draw(st.integers(2, max_classes)))
    # one draw in two: the small-weight, large-input regime, where a smooth σ's second-order
    # (H-)term is linear in the weights while the bounds are quadratic (true-Hessian readings)
    small_weights = draw(st.booleans())
    if small_weights and "tanh" in activations and draw(st.integers(0, 2)) > 0:
        act = "tanh"
    else:
        act = draw(st.sampled_from(activations))
    if small_weights:
        scales = [draw(st.floats(np.log(0.01), np.log(0.1)).map(lambda v: float(np.exp(v))))
                  for _ in range(L + 1)]
    else:
        scales = [draw(from_domain(D["weight_scale"])) for _ in range(L + 1)]
    n = draw(st.integers(1, max_n))
    decay = draw(from_domain(D["input_decay"]))
    input_scale = draw(st.floats(1.0 if small_weights else -2.0, 4.0).map(
        lambda v: float(np.exp(v))))
    labels = "random" if act.startswith("other") else draw(st.sampled_from(("teacher", "random")))
    loss = draw(st.sampled_from(losses)) if len(losses) > 1 else losses[0]
    if len(losses) > 1 and draw(st.integers(0, 9)) > 0:
        loss = "cross_entropy"                      # cross-entropy nine times out of ten
    bias = draw(st.sampled_from(("none", "none", "none", "zero", "nonzero"))) if biases else "none"
    slope = draw(from_domain(D["slope"]))
    p = NetworkProblem.random(tuple(widths), act, n, scale=scales, input_decay=decay,
                              input_scale=input_scale, slope=slope, loss=loss, labels=labels,
                              bias_scale=0.5 if bias == "nonzero" else 0.0,
                              seed=draw(st.integers(0, 2**31 - 1)))
    if bias == "zero":
        p = p.replace(biases=tuple(np.zeros(w.shape[0]) for w in p.weights))
    return p


@st.composite
def pac_bayes_problems(draw, *, max_p: int = 30) -> PacBayesProblem:
    r"""Hessian spectra with the PAC-Bayes setting of §4.3.3, placed relative to the threshold
    ε/(2(n − 1)) of (4.4.1) (so stiff heads, sloppy tails and eigenvalues near the elbow all
    occur): sloppy :math:`\lambda_i = 10^a\,\text{thr}\,e^{-c(i-1)}`, plateau-then-drop, or
    log-normal around :math:`10^a\,\text{thr}`; optionally trailing exact zeros."""
    D = PAC_BAYES_DOMAINS
    p = draw(st.integers(1, max_p))
    n = draw(from_domain(D["n"]))
    eps = draw(from_domain(D["eps"]))
    thr = eps / (2 * (n - 1))
    kind = draw(st.sampled_from(("sloppy", "plateau", "lognormal")))
    level = thr * 10.0 ** draw(st.floats(-2.0, 5.0))
    if kind == "sloppy":
        lam = level * np.exp(-draw(from_domain(D["c"])) * np.arange(p))
    elif kind == "plateau":
        # few stiff eigenvalues over a long tail just below the elbow is the regime where the
        # decay rates of Def. 4.4.3 and of §4.7.2.3 differ most: drawn half of the time
        near = draw(st.booleans())
        head = draw(st.integers(1, min(p, 3))) if near else draw(st.integers(1, p))
        tail = thr * 10.0 ** draw(st.floats(-0.5, 0.0) if near else st.floats(-3.0, 0.0))
        lam = np.concatenate([np.full(head, max(level, thr)), np.full(p - head, tail)])
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        lam = level * np.exp(rng.normal(0.0, draw(st.floats(0.1, 4.0)), p))
    if draw(st.booleans()):
        zeros = draw(st.integers(0, p - 1))
        lam = np.sort(lam)[::-1]
        lam[p - zeros:] = 0.0
    lam = np.where(np.isfinite(lam), lam, 0.0)
    return PacBayesProblem(lam, n=n, eps=eps, dist2=draw(from_domain(D["dist2"])),
                           train_error=draw(from_domain(D["train_error"])),
                           delta=draw(from_domain(D["delta"])),
                           seed=draw(st.integers(0, 2**31 - 1)), source=kind)


@st.composite
def kernel_problems(draw, *, max_n: int = 8, max_d: int = 8) -> InnerProductKernelProblem:
    """Gaussian inputs with an affine (seven times in ten) or quadratic kernel function."""
    coef = [draw(st.floats(-3.0, 3.0)), draw(st.floats(-3.0, 3.0))]
    if draw(st.integers(0, 9)) >= 7:
        coef.append(draw(st.floats(-3.0, 3.0)))
    return InnerProductKernelProblem.sample(
        n=draw(st.integers(1, max_n)), d=draw(st.integers(1, max_d)), coefficients=tuple(coef),
        decay=draw(st.floats(0.0, 2.0)), seed=draw(st.integers(0, 2**31 - 1)))


register_strategy(NetworkProblem, lambda small: network_problems(
    max_width=5 if small else 8, max_n=6 if small else 8))
register_strategy(PacBayesProblem, lambda small: pac_bayes_problems(max_p=15 if small else 30))
register_strategy(InnerProductKernelProblem,
                  lambda small: kernel_problems(max_n=5 if small else 8, max_d=5 if small else 8))
