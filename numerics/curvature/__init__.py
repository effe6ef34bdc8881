"""hyperribbon.numerics.curvature — curvature of any torch model (thesis Chapter 4).

Matrix-free operators (Hessian, Gauss–Newton, true/Monte-Carlo/empirical Fisher, KFAC; through
curvlinops-for-pytorch), exact dense references (torch.func), spectra with honest noise floors
(dense, Lanczos, Hutchinson/Hutch++ traces, stochastic Lanczos quadrature densities),
correlation spectra of inputs, activations, activation gradients and logit Jacobians
(§4.3, Fig 4.1), and the sloppiness measures of §4.4 (eqs. 4.4.1–4.4.3).

Names are loaded on first use: the numpy-only parts (:mod:`.spectrum`, :mod:`.sloppiness`,
:mod:`.trace`, :mod:`.density`) never import torch; the rest imports torch when first touched.
"""
from __future__ import annotations

from hyperribbon.theory._lazy import lazy_exports

__all__ = [
    # operators (torch)
    "CurvatureInfo", "CurvatureOperator", "curvature_operator", "parameter_blocks",
    "KINDS", "NORMALISATIONS",
    # dense references (torch.func)
    "dense_curvature", "flat_parameters",
    # spectra (numpy/scipy)
    "Spectrum", "full_spectrum", "top_eigenvalues", "spectrum_from_values",
    # traces and densities (numpy/scipy)
    "kfac_spectrum", "gram_curvature_spectrum",
    "TraceEstimate", "hutchinson_trace", "hutchpp_trace",
    "SpectralDensity", "spectral_density",
    # correlation spectra (torch)
    "correlation_spectra", "input_correlation_spectrum", "gram_spectrum",
    # sloppiness (numpy)
    "Measure", "DecayFit", "effective_dimensionality", "strength", "sloppy_factor",
    "decay_rate", "sloppiness_summary",
]

_WHERE = {
    "CurvatureInfo": "operators", "CurvatureOperator": "operators",
    "curvature_operator": "operators", "parameter_blocks": "operators", "KINDS": "operators",
    "NORMALISATIONS": "operators",
    "dense_curvature": "dense", "flat_parameters": "dense",
    "Spectrum": "spectrum", "full_spectrum": "spectrum", "top_eigenvalues": "spectrum",
    "spectrum_from_values": "spectrum",
    "kfac_spectrum": "kfac", "gram_curvature_spectrum": "gram_curvature",
    "TraceEstimate": "trace", "hutchinson_trace": "trace", "hutchpp_trace": "trace",
    "SpectralDensity": "density", "spectral_density": "density",
    "correlation_spectra": "correlations", "input_correlation_spectrum": "correlations",
    "gram_spectrum": "correlations",
    "Measure": "sloppiness", "DecayFit": "sloppiness",
    "effective_dimensionality": "sloppiness", "strength": "sloppiness",
    "sloppy_factor": "sloppiness", "decay_rate": "sloppiness",
    "sloppiness_summary": "sloppiness",
}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
