"""hyperribbon.experiments.curvature: the Chapter 4 experiments — sloppy spectra of trained
networks, Chapter 4 lemmas on trained networks, PAC-Bayes bounds, and the reproductions of
Figs 4.1, 4.2, 4.3 and 4.11.

* :func:`network_problem`, :func:`verify_network` — ``hyperribbon verify 4.3.1 --arch fc ...``;
* :func:`run_spectrum` — ``hyperribbon spectrum`` (any of hessian, ggn, fisher,
  empirical-fisher, kfac, inputs, activations, activation-gradients, logit-jacobians);
* :func:`.pac_bayes.pac_bayes` — ``hyperribbon pac-bayes`` (analytic closed-form bound of
  §4.3.3 and the Dziugaite–Roy optimised bound);
* :func:`.reproduce.reproduce` — ``hyperribbon reproduce fig4.1 | fig4.2 | fig4.3 | fig4.11``
  (both functions live in the submodules of the same names: import them from there);
* :func:`trained_network`, :func:`load_data`, :func:`build_network` — the cached networks.

Names are loaded on first use; torch and matplotlib are imported inside the functions.
"""
from __future__ import annotations

import importlib

__all__ = ["network_problem", "verify_network", "NETWORK_DEFAULTS", "run_spectrum",
           "SpectrumReport", "quantity_spectra", "QUANTITIES", "PacBayesResult",
           "write_pac_bayes", "dziugaite_roy_bound", "DRSettings", "FIGURES",
           "trained_network", "load_data", "build_network", "with_random_labels",
           "load_state_dict_file", "register"]

_WHERE = {
    "network_problem": "verify", "verify_network": "verify", "NETWORK_DEFAULTS": "verify",
    "run_spectrum": "spectrum_report", "SpectrumReport": "spectrum_report",
    "quantity_spectra": "spectra", "QUANTITIES": "spectra",
    "PacBayesResult": "pac_bayes", "write_pac_bayes": "pac_bayes",
    "dziugaite_roy_bound": "dziugaite_roy", "DRSettings": "dziugaite_roy",
    "FIGURES": "reproduce",
    "trained_network": "models", "load_data": "models", "build_network": "models",
    "with_random_labels": "models", "load_state_dict_file": "models",
    "register": "cli",
}


# The same PEP 562 loader as hyperribbon.theory._lazy.lazy_exports, written out here because this
# package is imported by `hyperribbon --help`, and importing anything under hyperribbon.theory
# runs its __init__ (the lemma catalogue, sympy: about 0.5 s).
def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
