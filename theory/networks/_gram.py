r"""PSD matrices of Chapter 4 as factors :math:`A = G^\top G`, with rounding bounds (private).

Every matrix the lemmas compare is an average of outer products, so it is held as a factor G
(rows = samples × outputs) with an entry-wise absolute error bound E. Then

* eigenvalues are squared singular values of G: by Weyl's inequality for singular values,
  :math:`|\sigma_i(\hat G) - \sigma_i(G)| \le \|E\|_F + c\,r\,\varepsilon\,\sigma_1` (the second
  term is the backward error of the SVD), so :math:`\lambda_i = \sigma_i^2` lies in
  :math:`[\max(0,\sigma_i - e)^2, (\sigma_i + e)^2]` — much tighter for small eigenvalues than
  an eigensolver on :math:`G^\top G` would be, and eigenvalues beyond the rank of G are *exact*
  zeros (dimension counting, no rounding);
* traces are sums of squares :math:`\sum G^2`, with error :math:`\sum(2|G|E + E^2) + \gamma\sum G^2`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _mlp

EPS = _mlp.EPS


@dataclass(frozen=True)
class Factor:
    """``A = Gᵀ G`` with ``G`` (r, P) and entry-wise error bound ``E`` (r, P)."""

    G: np.ndarray
    E: np.ndarray
    label: str = ""
    rank: int | None = None     #: a structural bound on rank(A) (exact arithmetic)

    @property
    def size(self) -> int:
        return int(self.G.shape[1])

    def scaled(self, c: float) -> "Factor":
        """The factor of c·A (c ≥ 0)."""
        s = float(np.sqrt(c))
        return Factor(self.G * s, self.E * s + 2 * EPS * np.abs(self.G * s), self.label,
                      self.rank)

    def trace(self) -> tuple[float, float]:
        G, E = self.G, self.E
        t = float(np.sum(G * G))
        err = float(np.sum(2 * np.abs(G) * E + E * E)) + (G.size + 4) * EPS * t
        return t, err

    def eigenvalues(self) -> tuple[np.ndarray, np.ndarray]:
        """Descending eigenvalues of A (length P) as midpoints and half-widths of their
        rigorous-to-first-order enclosures. Entries beyond the structural rank — min of the rows,
        the columns that are not exactly zero (with zero error), and :attr:`rank` — are exact
        zeros; the others are σ_i² of G with Weyl's bound (the exact A has rank ≤ that bound, so
        its trailing eigenvalues vanish whatever the computed G's tiny singular values are)."""
        r, P = self.G.shape
        out_mid, out_half = np.zeros(P), np.zeros(P)
        live = np.any(self.G != 0, axis=0) | np.any(self.E != 0, axis=0)  # exact-zero columns
        G, E = self.G[:, live], self.E[:, live]
        if r == 0 or G.shape[1] == 0:
            return out_mid, out_half
        s = np.linalg.svd(G, compute_uv=False)
        e = float(np.linalg.norm(E)) + 8 * max(G.shape) * EPS * (float(s[0]) if s.size else 0.0)
        k = s.size if self.rank is None else min(s.size, int(self.rank))
        s = s[:k]
        lo = np.maximum(s - e, 0.0) ** 2
        hi = (s + e) ** 2
        out_mid[:k], out_half[:k] = 0.5 * (lo + hi), 0.5 * (hi - lo)
        return out_mid, out_half

    def gram(self) -> tuple[np.ndarray, np.ndarray]:
        """Dense A = GᵀG and its entry-wise error bound."""
        G, E = self.G, self.E
        aG = np.abs(G)
        A = G.T @ G
        err = aG.T @ E + E.T @ aG + E.T @ E + (G.shape[0] + 4) * EPS * (aG.T @ aG)
        return 0.5 * (A + A.T), err


def _probs(problem):
    """Softmax probabilities (n, m) and an absolute error bound for them."""
    fw = problem.forward
    p = _mlp.softmax(fw.z)
    dz = fw.gamma * np.max(fw.mag_z, axis=1, keepdims=True)
    ep = 2.0 * p * (np.expm1(2 * dz)) + 4 * EPS * p
    # a probability that underflowed to 0 is below TINY, not a structural zero
    return p, np.where(p < _mlp.TINY, _mlp.TINY, ep)


def _linear(act) -> bool:
    return act.name == "identity" or (act.name == "leaky_relu" and act.slope == 1.0)


def _h_rank(problem, k: int) -> int:
    """Structural rank bound of h^k (n × d_k): min(n, columns not exactly zero with zero error),
    and, when σ is the identity on layers 1..k and there are no biases, the narrowest width
    d_0..d_k (a product of matrices has rank at most its narrowest factor)."""
    fw = problem.forward
    live = np.any(fw.h[k] != 0, axis=0) | (np.any(fw.mag_h[k] != 0, axis=0) if k > 0 else False)
    r = int(min(problem.n, int(np.sum(live))))
    if problem.biases_zero and all(_linear(a) for a in problem.activations[:k]):
        r = min(r, min(problem.widths[:k + 1]))
    return r


def _delta_rank(problem, k: int) -> int:
    """Structural bound on dim span{∂z_i/∂u^{k+1}(x_s)}: d_{k+1}, or, when σ is the identity on
    layers k+1..L (so ∂z/∂u^{k+1} = w^L⋯w^{k+1} for every input), the narrowest of d_{k+1}..m."""
    d = problem.widths[k + 1]
    if all(_linear(a) for a in problem.activations[k:]):
        d = min(problem.widths[k + 1:])
    return d


def _block(problem, J, EJ, layer):
    if layer is None:
        return J, EJ, None
    sl = problem.blocks[layer]
    return J[:, :, sl], EJ[:, :, sl], _delta_rank(problem, layer) * _h_rank(problem, layer)


def fim_factor(problem, measure, layer=None) -> Factor:
    r"""Factor of the FIM of §4.2,
    :math:`F = \frac1n\sum_s\sum_y p_y\,\partial_w\log p_y\,\partial_w\log p_y^\top`, rows
    :math:`\sqrt{p_{s,y}/n}\,(J_s^\top(e_y - p_s))^\top` (softmax outputs)."""
    Jm = measure.jacobians(problem)
    J, EJ, rank = _block(problem, Jm.values, Jm.abs_err, layer)
    n, m, P = J.shape
    rank = n * (m - 1) if rank is None else min(rank, n * (m - 1))   # Σ_y √p_y·row_y = 0
    p, ep = _probs(problem)
    pJ = np.einsum("sc,scq->sq", p, J)
    rows = J - pJ[:, None, :]                                   # (n, m, P): J[y] − pᵀJ
    mag = np.abs(J) + np.einsum("sc,scq->sq", p, np.abs(J))[:, None, :]
    rows_err = EJ + np.einsum("sc,scq->sq", p, EJ)[:, None, :] \
        + np.einsum("sc,scq->sq", ep, np.abs(J))[:, None, :] + (m + 4) * EPS * mag
    w = np.sqrt(p / n)[:, :, None]
    werr = (0.5 * ep / np.sqrt(np.maximum(p, 1e-300) * n))[:, :, None] + 2 * EPS * w
    G = (w * rows).reshape(n * m, P)
    E = (w * rows_err + werr * np.abs(rows) + 2 * EPS * np.abs(w * rows)).reshape(n * m, P)
    return Factor(G, E, "FIM", rank)


def logit_factor(problem, measure, logit=None, layer=None, weights=None) -> Factor:
    r"""Factor of :math:`\mathbb E[\nabla_w z_i\nabla_w z_i^\top]` (one logit ``i``), of
    :math:`\sum_i\mathbb E[\nabla z_i\nabla z_i^\top] = \mathbb E[J^\top J]` (``logit=None``), or,
    with ``weights`` (m,), of :math:`\mathbb E[\nabla s\nabla s^\top]`, :math:`s = \sum_i c_iz_i`."""
    Jm = measure.jacobians(problem)
    J, EJ, rank = _block(problem, Jm.values, Jm.abs_err, layer)
    n, m, P = J.shape
    if weights is not None:
        c = np.asarray(weights, dtype=float)
        g = np.einsum("c,scq->sq", c, J)
        e = np.einsum("c,scq->sq", np.abs(c), EJ) + (m + 4) * EPS * np.einsum(
            "c,scq->sq", np.abs(c), np.abs(J))
        return Factor(g / np.sqrt(n), e / np.sqrt(n) + 2 * EPS * np.abs(g) / np.sqrt(n), "∇s",
                      rank)
    if logit is not None:
        J, EJ = J[:, logit:logit + 1, :], EJ[:, logit:logit + 1, :]
    r = J.shape[0] * J.shape[1]
    s = 1.0 / np.sqrt(n)
    G = J.reshape(r, P) * s
    return Factor(G, EJ.reshape(r, P) * s + 2 * EPS * np.abs(G), "logit Gram", rank)


def loss_ggn_factor(problem, measure, layer=None) -> Factor:
    r"""Factor of the Gauss–Newton matrix of the problem's loss: :math:`F/\ln 2` for the
    cross-entropy ĕ in bits (§4.7.3: :math:`(\log 2)\tilde H = \mathbb E[J^\top(\mathrm{diag}\,p -
    pp^\top)J]`), :math:`\mathbb E[J^\top J]` for ``mse``."""
    if problem.loss == "cross_entropy":
        return fim_factor(problem, measure, layer).scaled(1.0 / _mlp.LN2)
    return logit_factor(problem, measure, None, layer)


def activation_factor(problem, k: int) -> Factor:
    """Factor of E[h^k h^kᵀ] = (h^k)ᵀh^k/n, k = 0..L (h^0 = x)."""
    fw = problem.forward
    s = 1.0 / np.sqrt(problem.n)
    G = fw.h[k] * s
    E = (fw.gamma * fw.mag_h[k] if k > 0 else np.zeros_like(G)) * s + 2 * EPS * np.abs(G)
    return Factor(G, E, f"E[h^{k} h^{k}ᵀ]", _h_rank(problem, k))


def symmetric_eigenvalues(A: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Descending eigenvalues of a symmetric matrix with error ‖E‖_F + 8pε‖A‖₂ (Weyl)."""
    lam = np.linalg.eigvalsh(0.5 * (A + A.T))[::-1]
    P = lam.size
    err = float(np.linalg.norm(E)) + 8 * P * EPS * float(np.max(np.abs(lam), initial=0.0))
    return lam, np.full(P, err)
