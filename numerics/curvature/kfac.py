r"""Every eigenvalue of a KFAC approximation, exactly, from its Kronecker factors.

A KFAC operator (:func:`~hyperribbon.numerics.curvature.curvature_operator` with
``kind='kfac'``) is block-diagonal with one block :math:`G_\ell \otimes A_\ell` per layer weight
and :math:`G_\ell` per layer bias (weights and biases treated separately).  Since
:math:`\operatorname{spec}(G \otimes A) = \{g_ia_j\}`, the whole spectrum of all :math:`p`
eigenvalues costs only the eigendecompositions of the small factors — which is how thesis
Fig 4.2 (Hessian eigenspectrum of FC-600-2 from "a Kronecker-factored approximation") and
Fig 4.3 are computable for networks far too large for a dense eigensolver.

Error bounds: factor eigenvalues from ``syevd`` carry :math:`|\delta g| \le
d_G(\varepsilon_{64}+\varepsilon_c)\max|g| =: \delta_G` (and :math:`\delta_A` likewise;
:math:`\varepsilon_c` the epsilon of the dtype the factors were accumulated in), so a product
carries :math:`|g|\delta_A + |a|\delta_G + \delta_G\delta_A`.
"""
from __future__ import annotations

import numpy as np

from hyperribbon.theory import InvalidArgument

from .spectrum import Spectrum

__all__ = ["kfac_spectrum"]

_EPS64 = float(np.finfo(np.float64).eps)


def _eig(M, eps):
    M = M.detach().to("cpu").double().numpy()
    vals = np.linalg.eigvalsh(0.5 * (M + M.T))
    return vals, M.shape[0] * (_EPS64 + eps) * float(np.max(np.abs(vals)))


def kfac_spectrum(op, *, label: str = "") -> Spectrum:
    r"""All :math:`p` eigenvalues of a KFAC operator from its Kronecker factors.

    .. math:: \operatorname{spec}\Bigl(\bigoplus_\ell (G_\ell \otimes A_\ell) \oplus G_\ell\Bigr)
              = \bigcup_\ell \{g_{\ell i}\,a_{\ell j}\} \cup \{g_{\ell i}\}

    Parameters
    ----------
    op : CurvatureOperator
        From ``curvature_operator(..., kind='kfac')`` (any normalisation, blocks, fisher type).
    label : str

    Returns
    -------
    Spectrum
        ``method='kfac-factors'``, complete (``p`` values), per-value error bounds.

    Raises
    ------
    InvalidArgument
        If ``op`` is not a KFAC :class:`CurvatureOperator`.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from hyperribbon.numerics.curvature import curvature_operator, full_spectrum
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(),
    ...                           torch.nn.Linear(5, 2)).double()
    >>> X, y = torch.randn(40, 3, dtype=torch.float64), torch.randint(0, 2, (40,))
    >>> K = curvature_operator(net, "cross_entropy", X, y, kind="kfac")
    >>> s, dense = kfac_spectrum(K), full_spectrum(K)
    >>> bool(np.all(np.abs(s.values - dense.values) <= s.errors + dense.errors))
    True
    """
    owner = "kfac_spectrum"
    info = getattr(op, "info", None)
    if info is None or getattr(info, "kind", None) != "kfac" or not getattr(op, "parts", None):
        raise InvalidArgument("op", owner, "be a CurvatureOperator with kind='kfac'", op)
    values, errors = [], []
    for base, _positions in op.parts:
        eps = float(np.finfo(str(base.dtype).replace("torch.", "")).eps)
        for mod_name, param_pos in base._mapping.items():
            g, dg = _eig(base._gradient_covariances[mod_name], eps)
            if "weight" in param_pos:
                a, da = _eig(base._input_covariances[mod_name], eps)
                values.append(np.outer(g, a).ravel())
                errors.append((np.abs(g)[:, None] * da + np.abs(a)[None, :] * dg
                               + dg * da).ravel())
            if "bias" in param_pos:
                values.append(g)
                errors.append(np.full(g.size, dg))
    values = np.concatenate(values) * info.scale
    errors = np.concatenate(errors) * info.scale
    if values.size != info.n_params:            # e.g. a future joint weight-and-bias treatment
        raise InvalidArgument("op", owner, "treat weights and biases separately (the "
                              "factor layout this function reads)", values.size)
    floor = float(errors.min()) if errors.size else 0.0
    return Spectrum(values, errors, floor, info.n_params, None, "kfac-factors",
                    label or info.label, 0, {"operator": repr(info)})
