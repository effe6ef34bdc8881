r"""Intensive PCA (InPCA): isometric Minkowski embeddings of distance matrices (thesis §2.2,
§2.5.3).

For m models with pairwise distances D (e.g. Bhattacharyya, eq. 2.2.2), InPCA diagonalises the
centred matrix (eq. 2.2.6)

.. math:: W = -\tfrac12 L D L^\top, \qquad L = I - \mathbf 1\hat\mu^\top,

(:math:`\hat\mu = \mathbf 1/m` for plain InPCA), keeps eigenvalues of *both* signs ordered by
magnitude, and embeds :math:`X = U|\Lambda|^{1/2}` in :math:`\mathbb R^{p,q}` whose squared
interval :math:`\sum_k \mathrm{sign}(\Lambda_k)(X_{ik}-X_{jk})^2` reproduces :math:`D_{ij}`
(eq. 2.2.7, Theorem 2.5.1). Provided here:

* :class:`InPCA`, a scikit-learn estimator (``fit``/``transform``/``fit_transform``) with
  ``eigenvalues_``, ``signature_``, ``explained_stress_`` (eq. 2.2.8, from
  :math:`\|W\|_F^2` computed once, never from a squared-again norm), top-k eigenpairs by Lanczos
  (``scipy.sparse.linalg.eigsh``, also on an out-of-core D through a matrix-free operator);
* out-of-sample embedding (eq. 2.2.9, *corrected*: :math:`X_w = \sum_u W_{wu}U_u\,
  \mathrm{sign}(\Lambda_u)|\Lambda_u|^{-1/2}`; the printed :math:`|\Lambda|^{-1/2}` flips every
  time-like coordinate) and the joint train/test embedding (eq. 2.3.1);
* weighted InPCA (§2.5.3.2) with multiplicities μ: centring with :math:`\hat\mu`, eigenvectors of
  :math:`\mathrm{diag}(\sqrt\mu)W\mathrm{diag}(\sqrt\mu)`. This equals plain InPCA of the set with
  model u repeated :math:`\mu_u` times (coordinates and eigenvalues), and a model with
  :math:`\mu_u = 0` is embedded exactly as by eq. (2.2.9). (The thesis writes
  :math:`L_{uv} = \delta_{uv}-\hat\mu_u` and :math:`-LDL/2`; the centring needs
  :math:`L_{uv} = \delta_{uv}-\hat\mu_v` on the left and its transpose on the right.)
* explained pairwise distances (eq. 2.4.2) and :func:`inpca_reference`, the slow obvious dense
  construction the tests compare against.

*Unresolved eigenvalues.* A symmetric eigensolver returns every eigenvalue with an absolute error
of a few :math:`\varepsilon\max|\Lambda|` per dimension, so eigenvalues with
:math:`|\Lambda_k| \le \max|\Lambda|\cdot m\cdot\varepsilon` (the rule of
``numpy.linalg.matrix_rank``; :attr:`InPCA.tolerance_`) cannot be told from 0: they are set to 0,
have no sign (they count in neither part of the signature), give zero coordinates, no
out-of-sample coordinate, and no explained stress. Squared Euclidean distances of points in the
plane, for instance, have signature exactly (2, 0).

*Explained stress near 1* is computed from tail sums (with the Lanczos solver, the tail beyond
the computed eigenpairs is the residual :math:`\|W - V\Lambda V^\top\|_F^2`),
:math:`1 - \sqrt{\sum_{k>d}\Lambda_k^2/\|W\|_F^2}`, never as
:math:`1-\sqrt{1-\sum_{k\le d}\Lambda_k^2/\|W\|_F^2}` (which cancels to
:math:`\sqrt\varepsilon`); it is ``nan`` with an
:class:`~.distances.UndefinedRatioWarning` when :math:`W = 0` (all distances 0).

*Solvers.* Lanczos (ARPACK) is never exposed to its failures: a zero operator is short-circuited
(all eigenvalues 0), and when ARPACK fails the dense solver is used instead (``solver_`` then
says so); only for a lazy matrix too large to densify (m > 20 000) is the failure an
:class:`~hyperribbon.theory.errors.InvalidArgument` naming ``solver``.

Examples
--------
>>> from hyperribbon.numerics.prediction_space.distances import pairwise_distances
>>> rng = np.random.default_rng(0)
>>> D = pairwise_distances(rng.dirichlet(np.ones(4), size=(12, 30)))
>>> est = InPCA().fit(D)                               # all components: exact isometry
>>> bool(np.allclose(est.minkowski_distances(), D, atol=1e-12))
True
>>> est.signature_[0] + est.signature_[1] <= 12
True
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from sklearn.base import BaseEstimator, TransformerMixin

from hyperribbon.theory.errors import InvalidArgument

from hyperribbon.theory.prediction_space.arrays import as_array

from .distances import METRICS, check_distance_matrix, pairwise_distances, ratio
from .probabilities import as_models, check_log

__all__ = ["InPCA", "centered_matrix", "explained_stress", "explained_pairwise_distances",
           "minkowski_distances", "inpca_reference", "rank_tolerance"]

EPS = np.finfo(np.float64).eps
DENSE_FALLBACK_MAX = 20_000


def rank_tolerance(eigenvalues, m: int) -> float:
    r"""Eigenvalues with :math:`|\Lambda| \le \max|\Lambda|\cdot m\cdot\varepsilon` are
    unresolved (zero): the rule of ``numpy.linalg.matrix_rank`` for an m × m matrix."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    return float(np.max(np.abs(lam))) * m * EPS if lam.size else 0.0


# ---------------------------------------------------------------- validation
def _weights(w, m, owner):
    if w is None:
        return np.ones(m)
    w = np.asarray(as_array(w, "sample_weight", owner), dtype=np.float64)
    if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidArgument("sample_weight", owner, f"be {m} finite non-negative multiplicities "
                              "with a positive sum", w)
    return w


def _matvec(D, x):
    """D @ x for in-memory or lazy (memmap, zarr) D, reading row blocks."""
    if isinstance(D, np.ndarray) and not isinstance(D, np.memmap):
        return D @ x
    m = D.shape[0]
    step = max(1, 2 ** 24 // m)
    out = np.empty((m,) + x.shape[1:])
    for i in range(0, m, step):
        out[i:i + step] = np.asarray(D[i:i + step], dtype=np.float64) @ x
    return out


# ---------------------------------------------------------------- building blocks
def centered_matrix(D, weights=None) -> np.ndarray:
    r"""The centred matrix :math:`W = -\frac12 LDL^\top`, :math:`L = I - \mathbf 1\hat\mu^\top`
    (eq. 2.2.6; weighted centring of §2.5.3.2).

    Parameters
    ----------
    D : (m, m) array_like
    weights : (m,) array_like, optional
        Multiplicities μ (default: all 1).

    Returns
    -------
    (m, m) ndarray
    """
    D = check_distance_matrix(D, "D", "centered_matrix")
    mu = _weights(weights, D.shape[0], "centered_matrix")
    muh = mu / mu.sum()
    r = _matvec(D, muh)
    g = float(muh @ r)
    return -0.5 * (np.asarray(D, dtype=np.float64) - r[:, None] - r[None, :] + g)


def explained_stress(eigenvalues, total: float | None = None, *,
                     rest: float | None = None) -> np.ndarray:
    r"""Cumulative explained stress (eq. 2.2.8) of the leading eigenvalues, from tail sums,

    .. math:: 1 - \sqrt{\textstyle\sum_{k>d}\Lambda_k^2 / \|W\|_F^2}
              \;=\; 1 - \sqrt{1 - \sum_{k\le d}\Lambda_k^2 / \|W\|_F^2}, \qquad d = 1, 2, \dots

    (the left form keeps every digit near 1; the right one cancels to :math:`\sqrt\varepsilon`).

    Parameters
    ----------
    eigenvalues : (k,) array_like
        Leading eigenvalues by magnitude (unresolved ones set to 0, see :func:`rank_tolerance`).
    total : float, optional
        :math:`\|W\|_F^2 = \sum_k \Lambda_k^2` over *all* eigenvalues, when ``eigenvalues`` are
        only the leading ones (the tail beyond them is then ``total`` minus their squares).
        Default: ``eigenvalues`` is the complete spectrum.
    rest : float, optional
        :math:`\sum_{k>K}\Lambda_k^2` beyond the given eigenvalues when it is known more
        accurately than ``total`` minus their squares (InPCA's Lanczos solver passes the residual
        :math:`\|W - V\Lambda V^\top\|_F^2`, set to 0 when it is at the level of unresolved
        eigenvalues).

    Returns
    -------
    (k,) ndarray
        ``nan`` (with an :class:`~.distances.UndefinedRatioWarning`) when the total is 0.
    """
    owner = "explained_stress"
    lam = np.asarray(as_array(eigenvalues, "eigenvalues", owner), dtype=np.float64).ravel()
    if not np.all(np.isfinite(lam)):
        raise InvalidArgument("eigenvalues", owner, "be finite", lam)
    sq = lam ** 2
    if total is None:
        if rest is not None:
            raise InvalidArgument("rest", owner, "be given only with `total` (a complete "
                                  "spectrum has no rest)", rest)
        tot, rest = float(np.sum(sq)), 0.0
    else:
        if isinstance(total, bool) or not isinstance(total, numbers.Real) \
                or not np.isfinite(total) or total < 0:
            raise InvalidArgument("total", owner, "be a finite number ≥ 0", total)
        tot = float(total)
        if rest is None:
            rest = max(tot - float(np.sum(sq)), 0.0)
        elif isinstance(rest, bool) or not isinstance(rest, numbers.Real) \
                or not np.isfinite(rest) or rest < 0:
            raise InvalidArgument("rest", owner, "be a finite number ≥ 0", rest)
        rest = float(rest)
    tails = np.concatenate([np.cumsum(sq[::-1])[::-1][1:], [0.0]]) + rest
    if tot == 0:
        return ratio(np.zeros_like(lam), np.zeros_like(lam), "the explained stress (‖W‖ = 0: "
                     "all distances are 0)", owner)
    return 1.0 - np.sqrt(np.minimum(tails / tot, 1.0))


def _coords(X, argument, owner):
    X = np.asarray(as_array(X, argument, owner), dtype=np.float64)
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise InvalidArgument(argument, owner, "be a finite (m, k) array of coordinates", X)
    return X


def minkowski_distances(X, signs, Y=None) -> np.ndarray:
    r"""Squared Minkowski intervals :math:`\sum_k s_k (X_{ik} - Y_{jk})^2` (eq. 2.2.7).

    ``signs`` are +1, −1 or 0 (an unresolved eigenvalue contributes nothing).

    Returns
    -------
    (m1, m2) ndarray
    """
    owner = "minkowski_distances"
    X = _coords(X, "X", owner)
    Y = X if Y is None else _coords(Y, "Y", owner)
    s = np.asarray(as_array(signs, "signs", owner), dtype=np.float64)
    if s.shape != (X.shape[1],) or Y.shape[1] != X.shape[1]:
        raise InvalidArgument("signs", owner, f"have one sign per coordinate ({X.shape[1]})", s)
    xx = np.sum(s * X * X, axis=1)
    yy = np.sum(s * Y * Y, axis=1)
    return xx[:, None] + yy[None, :] - 2.0 * (X * s) @ Y.T


def explained_pairwise_distances(D, X, signs) -> float:
    r"""Explained pairwise distances (eq. 2.4.2):
    :math:`1 - \sum_{ij}|D_{ij} - \|X_i - X_j\|^2| / \sum_{ij} D_{ij}` (Minkowski intervals).

    ``nan`` with an :class:`~.distances.UndefinedRatioWarning` when every distance is 0."""
    owner = "explained_pairwise_distances"
    D = np.asarray(check_distance_matrix(D, "D", owner), dtype=np.float64)
    M = minkowski_distances(X, signs)
    if M.shape != D.shape:
        raise InvalidArgument("X", owner, f"have {D.shape[0]} rows (one per model of D)", X)
    total = float(np.sum(D))
    return float(1.0 - ratio(np.sum(np.abs(D - M)), total, "the explained pairwise distances "
                                                              "(all distances are 0)", owner))


def inpca_reference(D):
    """Slow obvious reference: L built explicitly, ``W = -L @ D @ L / 2``, ``numpy.linalg.eigh``,
    eigenvalues sorted by magnitude, ``X = U * sqrt(|Λ|)``.

    Returns
    -------
    eigenvalues : (m,) ndarray
    X : (m, m) ndarray
    """
    D = np.asarray(check_distance_matrix(D, "D", "inpca_reference"), dtype=np.float64)
    m = D.shape[0]
    L = np.eye(m) - np.ones((m, m)) / m
    lam, U = np.linalg.eigh(-L @ D @ L / 2)
    order = np.argsort(-np.abs(lam), kind="stable")
    lam, U = lam[order], U[:, order]
    return lam, U * np.sqrt(np.abs(lam))


def _fix_signs(V):
    idx = np.argmax(np.abs(V), axis=0)
    s = np.sign(V[idx, np.arange(V.shape[1])])
    s[s == 0] = 1.0
    return V * s


# ---------------------------------------------------------------- estimator
class InPCA(TransformerMixin, BaseEstimator):
    r"""Intensive PCA (eqs. 2.2.6–2.2.9, 2.3.1; weighted InPCA of §2.5.3.2).

    Parameters
    ----------
    n_components : int, optional
        Components kept, by decreasing :math:`|\Lambda|`; default all m (dense solver).
    metric : {"precomputed", "bhattacharyya", "geodesic", "symmetric_kl", "euclidean"}
        ``"precomputed"``: ``fit`` receives an (m, m) distance matrix; otherwise an (m, N, C)
        array of probabilities whose distances are computed with
        :func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`.
    solver : {"auto", "dense", "lanczos"}
        ``"dense"``: full ``scipy.linalg.eigh``; ``"lanczos"``: ``eigsh(which="LM")`` for the top
        ``n_components``; ``"auto"``: Lanczos when m > 1000 and ``n_components`` < m/10.
    tol : float
        Lanczos convergence tolerance (0: machine precision).
    random_state : int
        Seeds the Lanczos start vector.
    log : {False, True, "logits"}
        With a probability ``metric``: ``fit``/``transform`` receive log-probabilities or logits
        (distances computed in the log domain, see
        :func:`~hyperribbon.numerics.prediction_space.distances.pairwise_distances`).

    Attributes
    ----------
    eigenvalues_ : (k,) ndarray
        Eigenvalues of :math:`\mathrm{diag}(\sqrt\mu)W\mathrm{diag}(\sqrt\mu)`, signed, ordered by
        magnitude (plain InPCA: of W); those at most ``tolerance_`` in magnitude are set to 0.
    tolerance_ : float
        :math:`\max|\Lambda|\cdot m\cdot\varepsilon` (:func:`rank_tolerance`).
    rank_ : int
        Number of resolved (non-zero) eigenvalues among the kept ones, ``p + q``.
    eigenvectors_ : (m, k) ndarray
        Orthonormal eigenvectors (largest entry of each positive).
    embedding_ : (m, k) ndarray
        :math:`X = U|\Lambda|^{1/2}` (rows of weighted-out models embedded by eq. 2.2.9).
    signs_ : (k,) ndarray
        :math:`\mathrm{sign}(\Lambda_k)`: +1 space-like, −1 time-like, 0 unresolved.
    signature_ : tuple (p, q)
        Numbers of positive and negative resolved kept eigenvalues.
    explained_stress_ : (k,) ndarray
        Cumulative explained stress (eq. 2.2.8), from tail sums (dense: of the complete
        spectrum, so it is exactly 1 at the rank); ``nan`` when W = 0.
    total_stress_ : float
        :math:`\|W\|_F^2` (weighted: of the symmetrised matrix).
    weights_, row_means_, grand_mean_ :
        Multiplicities μ, :math:`D\hat\mu` and :math:`\hat\mu^\top D\hat\mu` (for ``transform``).
    solver_ : str
    """

    def __init__(self, n_components: int | None = None, *, metric: str = "precomputed",
                 solver: str = "auto", tol: float = 0.0, random_state: int = 0, log=False):
        self.n_components = n_components
        self.metric = metric
        self.solver = solver
        self.tol = tol
        self.random_state = random_state
        self.log = log

    # -------------------------------------------------- helpers
    def _distances(self, X, owner, other=None):
        if self.metric == "precomputed":
            return check_distance_matrix(X, "X", owner)
        if not isinstance(self.metric, str) or self.metric not in METRICS:
            raise InvalidArgument("metric", "InPCA", "be 'precomputed' or one of "
                                  + ", ".join(METRICS), self.metric)
        kind = check_log(self.log, "InPCA")
        P = as_models(X, "X", owner, kind)
        if other is None:
            self._train_probabilities = P
        D = pairwise_distances(P, other, metric=self.metric, log=bool(kind))
        return check_distance_matrix(D, "X", owner, square=other is None)

    def _validate_params(self, m):
        if not isinstance(self.solver, str) or self.solver not in ("auto", "dense", "lanczos"):
            raise InvalidArgument("solver", "InPCA", "be 'auto', 'dense' or 'lanczos'", self.solver)
        if isinstance(self.tol, bool) or not isinstance(self.tol, numbers.Real) \
                or not np.isfinite(self.tol) or self.tol < 0:
            raise InvalidArgument("tol", "InPCA", "be a finite number ≥ 0", self.tol)
        k = self.n_components
        if k is None:
            return m
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= m:
            raise InvalidArgument("n_components", "InPCA", f"be an integer in [1, m] = [1, {m}]", k)
        return int(k)

    # -------------------------------------------------- fit
    def fit(self, X, y=None, sample_weight=None):
        """Fit on an (m, m) distance matrix (``metric="precomputed"``) or (m, N, C) probabilities.

        ``sample_weight``: multiplicities μ of weighted InPCA (§2.5.3.2); zeros allowed.
        """
        D = self._distances(X, "InPCA.fit")
        m = D.shape[0]
        k = self._validate_params(m)
        mu = _weights(sample_weight, m, "InPCA.fit")
        muh = mu / mu.sum()
        r = _matvec(D, muh)
        g = float(muh @ r)
        sq = np.sqrt(mu)
        lazy = not (isinstance(D, np.ndarray) and not isinstance(D, np.memmap))
        solver = self.solver
        if solver == "auto":
            solver = "lanczos" if (m > 1000 and k < m / 10) else "dense"
        if solver == "lanczos" and k >= m - 1:
            solver = "dense"
        if solver == "dense" or not lazy:
            W = -0.5 * (np.asarray(D, dtype=np.float64) - r[:, None] - r[None, :] + g)
            S = W * sq[:, None] * sq[None, :] if sample_weight is not None else W
            total = float(np.sum(S * S))
        else:
            S = self._operator(D, r, g, sq)
            total = self._frobenius2(D, r, g, sq)
        complete = False
        if total == 0:                                   # W = 0: every eigenvalue is 0
            lam, V, complete = np.zeros(m), np.eye(m), True
            solver = "none (W = 0: every eigenvalue is 0)"
        elif solver == "lanczos":
            try:
                v0 = np.random.default_rng(self.random_state).standard_normal(m)
                lam, V = scipy.sparse.linalg.eigsh(S, k=k, which="LM", tol=self.tol, v0=v0,
                                                   ncv=min(m, max(2 * k + 1, 20)))
            except (scipy.sparse.linalg.ArpackError, scipy.sparse.linalg.ArpackNoConvergence,
                    ValueError) as err:
                if lazy and m > DENSE_FALLBACK_MAX:
                    raise InvalidArgument("solver", "InPCA.fit", "be a solver that converges on "
                                          f"this matrix: Lanczos (ARPACK) failed ({err}) and "
                                          f"m = {m} > {DENSE_FALLBACK_MAX} is too large to fall "
                                          "back to the dense solver; try a larger `tol` or "
                                          "another `n_components`", self.solver) from None
                solver = "dense (Lanczos failed: " + str(err).split("\n")[0][:80] + ")"
                if lazy:
                    W = -0.5 * (np.asarray(D[:], dtype=np.float64) - r[:, None] - r[None, :] + g)
                    S = W * sq[:, None] * sq[None, :]
        if total != 0 and solver != "lanczos":            # dense, or the Lanczos fallback
            lam, V = scipy.linalg.eigh(S, check_finite=False)
            complete = True
        order = np.argsort(-np.abs(lam), kind="stable")
        lam, V = lam[order], V[:, order]
        tolerance = rank_tolerance(lam, m)
        rest = None
        if not complete:          # the stress beyond the top k, as a residual; noise counts as 0
            rest = self._frobenius2(D, r, g, sq, lam, V) if lazy else \
                float(np.sum((S - (V * lam) @ V.T) ** 2))
            if rest <= (m - len(lam)) * tolerance ** 2:
                rest = 0.0
        lam = np.where(np.abs(lam) > tolerance, lam, 0.0)
        stress = explained_stress(lam, None if complete else total, rest=rest)
        lam, V, stress = lam[:k], _fix_signs(V[:, :k]), stress[:k]
        self.eigenvalues_, self.eigenvectors_ = lam, V
        self.signs_ = np.sign(lam)
        self.signature_ = (int(np.sum(lam > 0)), int(np.sum(lam < 0)))
        self.rank_ = self.signature_[0] + self.signature_[1]
        self.tolerance_ = tolerance
        self.total_stress_ = total
        self.explained_stress_ = stress
        self.weights_, self.row_means_, self.grand_mean_ = mu, r, g
        self.n_models_, self.solver_ = m, solver
        root = np.sqrt(np.abs(lam))
        with np.errstate(divide="ignore", invalid="ignore"):
            X_emb = np.where(sq[:, None] > 0, V / np.where(sq > 0, sq, 1.0)[:, None] * root, 0.0)
        if np.any(mu == 0):
            zero = np.flatnonzero(mu == 0)
            Dz = np.asarray(D[zero], dtype=np.float64)
            X_emb[zero] = self._out_of_sample(Dz, Dz @ muh)
        self.embedding_ = X_emb
        return self

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit and return ``embedding_`` (the coordinates of the fitted models themselves)."""
        return self.fit(X, y, sample_weight=sample_weight).embedding_

    @staticmethod
    def _operator(D, r, g, sq):
        m = D.shape[0]

        def mv(x):
            x = np.asarray(x, dtype=np.float64).reshape(m, -1)
            y = sq[:, None] * x
            s1, sr = y.sum(0), r @ y
            Wy = -0.5 * (_matvec(D, y) - r[:, None] * s1 - sr[None, :] + g * s1[None, :])
            out = sq[:, None] * Wy
            return out

        return scipy.sparse.linalg.LinearOperator((m, m), matvec=lambda x: mv(x)[:, 0],
                                                  matmat=mv, dtype=np.float64)

    @staticmethod
    def _frobenius2(D, r, g, sq, lam=None, V=None):
        r""":math:`\|S\|_F^2`, or with ``lam, V`` the residual :math:`\|S - V\Lambda V^\top\|_F^2`
        (the stress beyond the computed eigenpairs, without the cancellation of
        :math:`\|S\|_F^2 - \sum\Lambda_k^2`), reading D by row blocks."""
        m = D.shape[0]
        step = max(1, 2 ** 24 // m)
        tot = 0.0
        for i in range(0, m, step):
            blk = -0.5 * (np.asarray(D[i:i + step], dtype=np.float64) - r[i:i + step, None]
                          - r[None, :] + g)
            blk *= sq[i:i + step, None] * sq[None, :]
            if lam is not None:
                blk -= (V[i:i + step] * lam) @ V.T
            tot += float(np.sum(blk * blk))
        return tot

    def _check_fitted(self, owner):
        if not hasattr(self, "eigenvalues_"):
            raise InvalidArgument("self", owner, "be fitted first (call fit)", "an unfitted InPCA")

    def _out_of_sample(self, Dnew, new_means):
        """Eq. (2.2.9), corrected: X_w = W_w diag(√μ) V sign(Λ)/√|Λ|."""
        Wn = -0.5 * (Dnew - new_means[:, None] - self.row_means_[None, :] + self.grand_mean_)
        lam = self.eigenvalues_
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(lam != 0, np.sign(lam) / np.sqrt(np.abs(lam)), 0.0)
        return (Wn * np.sqrt(self.weights_)[None, :]) @ self.eigenvectors_ * scale

    # -------------------------------------------------- transforms
    def transform(self, X):
        """Embed new models (eq. 2.2.9, corrected) from their (m_new, m) distances to the fitted
        models (``metric="precomputed"``) or from their (m_new, N, C) probabilities.

        Returns
        -------
        (m_new, k) ndarray
        """
        self._check_fitted("InPCA.transform")
        if self.metric == "precomputed":
            Dn = np.asarray(check_distance_matrix(X, "X", "InPCA.transform", square=False),
                            dtype=np.float64)
            if Dn.ndim == 1:
                Dn = Dn[None]
        else:
            Dn = self._distances(X, "InPCA.transform", other=self._train_probabilities)
        if Dn.shape[1] != self.n_models_:
            raise InvalidArgument("X", "InPCA.transform", f"have {self.n_models_} columns "
                                  "(distances to every fitted model)", Dn)
        muh = self.weights_ / self.weights_.sum()
        return self._out_of_sample(Dn, Dn @ muh)

    def transform_joint(self, D_test):
        r"""Joint train/test embedding (eq. 2.3.1): test model w paired with fitted model w,

        .. math:: W'_{uv} = -\tfrac12 d(P'_u,P'_v) + \tfrac1{2m}\sum_{u'}\big(d(P_u,P_{u'}) +
                  d(P_v,P_{u'}) - \tfrac1m\sum_{v'}d(P_{u'},P_{v'})\big),

        embedded with the fitted eigenvectors (sign-corrected as in eq. 2.2.9).

        Parameters
        ----------
        D_test : (m, m) array_like
            Distances between the test models, in the order of the fitted (train) models.
        """
        self._check_fitted("InPCA.transform_joint")
        Dt = np.asarray(check_distance_matrix(D_test, "D_test", "InPCA.transform_joint"))
        if Dt.shape[0] != self.n_models_:
            raise InvalidArgument("D_test", "InPCA.transform_joint",
                                  f"be {self.n_models_} × {self.n_models_} (one test model per "
                                  "fitted model)", Dt)
        return self._out_of_sample(Dt, self.row_means_)

    def minkowski_distances(self, X=None, Y=None) -> np.ndarray:
        """Squared Minkowski intervals between embedded points (default: the fitted ones)."""
        self._check_fitted("InPCA.minkowski_distances")
        X = self.embedding_ if X is None else X
        return minkowski_distances(X, self.signs_, Y)

    def explained_pairwise_distances(self, D, n_components: int | None = None) -> float:
        """Eq. (2.4.2) of the fitted embedding, using its first ``n_components`` coordinates."""
        self._check_fitted("InPCA.explained_pairwise_distances")
        k = len(self.eigenvalues_) if n_components is None else int(n_components)
        return explained_pairwise_distances(D, self.embedding_[:, :k], self.signs_[:k])


def _embedding_measure(D):
    est = InPCA(solver="dense").fit(D)
    return {"X": est.embedding_, "signs": est.signs_, "eigenvalues": est.eigenvalues_,
            "eigenvectors": est.eigenvectors_}


def _install():
    from hyperribbon.theory.prediction_space import infogeo
    infogeo.install_measure("embedding", _embedding_measure)


_install()
