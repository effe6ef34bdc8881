r"""Intensive PCA (InPCA): isometric Minkowski embeddings of distance matrices (thesis §2.2, §2.5.3).

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

from .distances import METRICS, check_distance_matrix, pairwise_distances
from .probabilities import as_probabilities

__all__ = ["InPCA", "centered_matrix", "explained_stress", "explained_pairwise_distances",
           "minkowski_distances", "inpca_reference"]

EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------- validation
def _weights(w, m, owner):
    if w is None:
        return np.ones(m)
    w = np.asarray(w, dtype=np.float64)
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


def explained_stress(eigenvalues, total: float) -> np.ndarray:
    r"""Cumulative explained stress (eq. 2.2.8) of the leading eigenvalues,

    .. math:: 1 - \sqrt{1 - \sum_{k\le d}\Lambda_k^2 / \|W\|_F^2}, \qquad d = 1, 2, \dots

    Parameters
    ----------
    eigenvalues : (k,) array_like
        Leading eigenvalues (by magnitude).
    total : float
        :math:`\|W\|_F^2 = \sum_{ij} W_{ij}^2 = \sum_k \Lambda_k^2` (all of them).
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if total <= 0:
        return np.ones_like(lam)
    frac = np.clip(1.0 - np.cumsum(lam ** 2) / total, 0.0, 1.0)
    return 1.0 - np.sqrt(frac)


def minkowski_distances(X, signs, Y=None) -> np.ndarray:
    r"""Squared Minkowski intervals :math:`\sum_k s_k (X_{ik} - Y_{jk})^2` (eq. 2.2.7).

    Returns
    -------
    (m1, m2) ndarray
    """
    X = np.asarray(X, dtype=np.float64)
    Y = X if Y is None else np.asarray(Y, dtype=np.float64)
    s = np.asarray(signs, dtype=np.float64)
    xx = np.sum(s * X * X, axis=1)
    yy = np.sum(s * Y * Y, axis=1)
    return xx[:, None] + yy[None, :] - 2.0 * (X * s) @ Y.T


def explained_pairwise_distances(D, X, signs) -> float:
    r"""Explained pairwise distances (eq. 2.4.2):
    :math:`1 - \sum_{ij}|D_{ij} - \|X_i - X_j\|^2| / \sum_{ij} D_{ij}` (Minkowski intervals)."""
    D = check_distance_matrix(D, "D", "explained_pairwise_distances")
    D = np.asarray(D, dtype=np.float64)
    M = minkowski_distances(X, signs)
    if M.shape != D.shape:
        raise InvalidArgument("X", "explained_pairwise_distances",
                              f"have {D.shape[0]} rows (one per model of D)", X)
    return float(1.0 - np.sum(np.abs(D - M)) / np.sum(D))


def inpca_reference(D):
    """Slow obvious reference: L built explicitly, ``W = -L @ D @ L / 2``, ``numpy.linalg.eigh``,
    eigenvalues sorted by magnitude, ``X = U * sqrt(|Λ|)``.

    Returns
    -------
    eigenvalues : (m,) ndarray
    X : (m, m) ndarray
    """
    D = np.asarray(D, dtype=np.float64)
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

    Attributes
    ----------
    eigenvalues_ : (k,) ndarray
        Eigenvalues of :math:`\mathrm{diag}(\sqrt\mu)W\mathrm{diag}(\sqrt\mu)`, signed, ordered by
        magnitude (plain InPCA: of W).
    eigenvectors_ : (m, k) ndarray
        Orthonormal eigenvectors (largest entry of each positive).
    embedding_ : (m, k) ndarray
        :math:`X = U|\Lambda|^{1/2}` (rows of weighted-out models embedded by eq. 2.2.9).
    signs_ : (k,) ndarray
        :math:`\mathrm{sign}(\Lambda_k)`: +1 space-like, −1 time-like.
    signature_ : tuple (p, q)
        Numbers of positive and negative kept eigenvalues.
    explained_stress_ : (k,) ndarray
        Cumulative explained stress (eq. 2.2.8).
    total_stress_ : float
        :math:`\|W\|_F^2` (weighted: of the symmetrised matrix).
    weights_, row_means_, grand_mean_ :
        Multiplicities μ, :math:`D\hat\mu` and :math:`\hat\mu^\top D\hat\mu` (for ``transform``).
    solver_ : str
    """

    def __init__(self, n_components: int | None = None, *, metric: str = "precomputed",
                 solver: str = "auto", tol: float = 0.0, random_state: int = 0):
        self.n_components = n_components
        self.metric = metric
        self.solver = solver
        self.tol = tol
        self.random_state = random_state

    # -------------------------------------------------- helpers
    def _distances(self, X, owner, other=None):
        if self.metric == "precomputed":
            return check_distance_matrix(X, "X", owner)
        if self.metric not in METRICS:
            raise InvalidArgument("metric", "InPCA", "be 'precomputed' or one of "
                                  + ", ".join(METRICS), self.metric)
        P = as_probabilities(X, "X", owner)
        if other is None:
            self._train_probabilities = P
            return pairwise_distances(P, metric=self.metric)
        return pairwise_distances(P, other, metric=self.metric)

    def _validate_params(self, m):
        if self.solver not in ("auto", "dense", "lanczos"):
            raise InvalidArgument("solver", "InPCA", "be 'auto', 'dense' or 'lanczos'", self.solver)
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
        if solver == "dense":
            lam, V = scipy.linalg.eigh(S, check_finite=False)
        else:
            v0 = np.random.default_rng(self.random_state).standard_normal(m)
            lam, V = scipy.sparse.linalg.eigsh(S, k=k, which="LM", tol=self.tol, v0=v0,
                                               ncv=min(m, max(2 * k + 1, 20)))
        order = np.argsort(-np.abs(lam), kind="stable")[:k]
        lam, V = lam[order], _fix_signs(V[:, order])
        self.eigenvalues_, self.eigenvectors_ = lam, V
        self.signs_ = np.where(lam >= 0, 1.0, -1.0)
        self.signature_ = (int(np.sum(lam > 0)), int(np.sum(lam < 0)))
        self.total_stress_ = total
        self.explained_stress_ = explained_stress(lam, total)
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
    def _frobenius2(D, r, g, sq):
        m = D.shape[0]
        step = max(1, 2 ** 24 // m)
        tot = 0.0
        for i in range(0, m, step):
            blk = -0.5 * (np.asarray(D[i:i + step], dtype=np.float64) - r[i:i + step, None]
                          - r[None, :] + g)
            blk *= sq[i:i + step, None] * sq[None, :]
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
