"""Structured kernels behind :mod:`hyperribbon.numerics.linear_models.accurate_eig` (private).

Everything here works on *cleaned* data: distinct step fractions ``s`` in (0, 2) and non-zero
weights ``u`` (the public module merges repeated ``s`` and drops zero weights first).

Ingredients (Demmel, SIMAX 21, 1999; Demmel, Gu, Eisenstat, Slapničar, Veselić, Drmač, LAA 299,
1999; Drmač & Veselić, SIMAX 29, 2008):

* accurate differences: ``a_i - a_k``, ``1 - a_i a_k``, ``1 - a_i^T`` and ``ω^{-j} - a_i`` are
  formed from ``s`` without cancellation (:func:`one_minus_products`, :func:`one_minus_powers`,
  :class:`DFTNodes`);
* Gaussian elimination on Cauchy-like matrices whose Schur complements have closed forms, giving
  an accurate rank-revealing decomposition (:func:`pick_rrd`, :func:`cauchy_rrd`);
* Algorithm 3.1 of Demmel et al. (QR, then one-sided Jacobi on a column-graded triangular factor),
  :func:`graded_singular_values`.

Exponent range
--------------
The spectra handled here can span thousands of decades (for finite ``T`` the eigenvalues of the
target Gramian decay roughly like ``exp(-c k^2 / 2)``), far outside float64. So generators are kept
as ``mantissa * 2**exponent`` with integer exponents, factors are stored with unit-scale columns and
separate integer column exponents, and the Jacobi stage either calls LAPACK's ``dgejsv`` (when the
column scales fit comfortably in float64) or runs a one-sided Jacobi in *scaled* form
(:func:`scaled_jacobi`), in which a rotation between columns of scales ``2^{c_p} >= 2^{c_q}``
only ever uses the ratio ``2^{c_q - c_p}`` (which may underflow to zero harmlessly).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack, qr

EPS = float(np.finfo(np.float64).eps)

#: column-scale range (in bits) up to which the final stage hands the matrix to ``dgejsv``.
DGEJSV_MAX_RANGE_BITS = 600


# --------------------------------------------------------------------------------------------
# scaled numbers: value = mantissa * 2**exponent (exponent int64)
# --------------------------------------------------------------------------------------------
def normalise(m: np.ndarray, e: np.ndarray):
    """Rescale mantissas to modulus in [0.5, 1) (zeros stay zero), exactly (powers of two)."""
    _, k = np.frexp(np.abs(m))
    return m * np.ldexp(1.0, -k), e + k


def log2abs(m: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``log2 |m 2^e|`` (``-inf`` for zeros)."""
    with np.errstate(divide="ignore"):
        return np.log2(np.abs(m)) + e


def scaled_ratio(num_m: np.ndarray, num_e: np.ndarray, den: np.ndarray, ref: int):
    """``(num_m 2^num_e / den) / 2^{E}`` with ``E`` the exponent of entry ``ref`` of the quotient,
    computed without overflow (entries far below the reference underflow to zero harmlessly).
    Returns ``(values, E)``."""
    qm, qe = normalise(num_m / den, num_e)
    ex = np.where(qm != 0, qe - qe[ref], -2000)
    return qm * np.ldexp(1.0, np.clip(ex, -1100, 1100)), int(qe[ref])


def column_norm_exponents(A: np.ndarray):
    """Column 2-norms of ``A`` as ``(mantissa, exponent)``, without under/overflow: each column is
    first scaled by a power of two bringing its largest entry to [0.5, 1)."""
    big = np.max(np.abs(A), axis=0)
    _, k0 = np.frexp(big)
    nrm = np.linalg.norm(A * np.ldexp(1.0, -k0)[None, :], axis=0)
    m, k1 = np.frexp(nrm)
    return m, np.where(m != 0, k0 + k1, 0).astype(np.int64)


def normalise_column(v: np.ndarray):
    """``v = w * 2**k`` with ``||w||_2`` in [0.5, 1); returns ``(w, k)``."""
    m, k = column_norm_exponents(v[:, None])
    if not (m[0] > 0 and np.isfinite(m[0])):
        raise FloatingPointError("cannot normalise a zero or non-finite column")
    return v * math.ldexp(1.0, -int(k[0])), int(k[0])


# --------------------------------------------------------------------------------------------
# accurate differences
# --------------------------------------------------------------------------------------------
def one_minus_products(s: np.ndarray, k: int) -> np.ndarray:
    """``1 - a_i a_k`` for all ``i`` (``a = 1 - s``), each to a few ulps, for ``s`` in (0, 2).

    * ``a_i a_k <= 0``: ``1 - a_i a_k = 1 + |a_i a_k|``, no cancellation;
    * both ``s <= 1``: ``s_i + s_k a_i`` (two non-negative terms);
    * both ``s > 1``: ``δ_i + δ_k |a_i|`` with ``δ = 2 - s`` and ``|a| = s - 1``, both exact
      (Sterbenz).
    """
    a = 1.0 - s
    out = 1.0 - a * a[k]
    if s[k] <= 1.0:
        same = s <= 1.0
        out[same] = s[same] + s[k] * a[same]
    else:
        same = s > 1.0
        out[same] = (2.0 - s[same]) + (2.0 - s[k]) * (s[same] - 1.0)
    return out


def one_minus_powers(s: np.ndarray, T: int) -> np.ndarray:
    """``1 - a_i^T`` to a few ulps for ``s`` in (0, 2) and integer ``T >= 1``.

    ``-expm1(T log1p(-s))`` for ``s < 1``; ``1`` for ``s = 1``; for ``s > 1``, ``|a| = s - 1`` and
    ``log|a| = log1p(-(2 - s))`` are exact-argument evaluations, then ``1 - |a|^T`` (``T`` even) or
    ``1 + |a|^T`` (``T`` odd).
    """
    out = np.ones_like(s)
    low = s < 1.0
    out[low] = -np.expm1(T * np.log1p(-s[low]))
    high = s > 1.0
    if np.any(high):
        lg = T * np.log1p(-(2.0 - s[high]))
        out[high] = -np.expm1(lg) if T % 2 == 0 else 1.0 + np.exp(lg)
    return out


def _sin_pi_ratio(m: np.ndarray, T: int) -> np.ndarray:
    """``sin(π m / T)`` for integers ``m`` in [-T, T], the argument reduced to [-π/2, π/2] so that
    the result has a small *relative* error."""
    m = np.asarray(m, dtype=np.int64)
    sign = np.ones(m.shape)
    mr = m.copy()
    hi = 2 * mr > T
    mr[hi] -= T
    sign[hi] = -1.0
    lo = 2 * mr < -T
    mr[lo] += T
    sign[lo] = -1.0
    return sign * np.sin(np.pi * mr / T)


class DFTNodes:
    """The points ``y_j = ω^{-j} = e^{-iθ_j}``, ``θ_j = 2πj/T``, ``j = 0..T-1``, with accurate
    functions of them."""

    def __init__(self, T: int):
        self.T = T
        j = np.arange(T, dtype=np.int64)
        self.j = j
        sh = _sin_pi_ratio(j, T)                    # sin(θ_j/2) >= 0
        ch = _sin_pi_ratio(T - 2 * j, 2 * T)        # cos(θ_j/2) = sin(π (T - 2j) / (2T))
        self.sin_theta = 2.0 * sh * ch              # sin θ_j
        self.h2 = sh * sh                           # sin²(θ_j/2)
        self.c2 = ch * ch                           # cos²(θ_j/2)

    def col(self, s: np.ndarray, l: int) -> np.ndarray:
        """``y_l - a_i`` for all ``i``: real part ``s_i - 2 sin²(θ_l/2)`` (``s_i <= 1``) or
        ``2 cos²(θ_l/2) - (2 - s_i)`` (``s_i > 1``), imaginary part ``-sin θ_l``; normwise relative
        error a few ulps (the real part only cancels where the imaginary part dominates)."""
        re = np.where(s <= 1.0, s - 2.0 * self.h2[l], 2.0 * self.c2[l] - (2.0 - s))
        return re - 1j * self.sin_theta[l]

    def row(self, sk: float) -> np.ndarray:
        """``y_j - a_k`` for all ``j`` (see :meth:`col`)."""
        re = (sk - 2.0 * self.h2) if sk <= 1.0 else (2.0 * self.c2 - (2.0 - sk))
        return re - 1j * self.sin_theta

    def matrix(self, s: np.ndarray) -> np.ndarray:
        """``y_j - a_i`` for all ``(i, j)``, shape ``(len(s), T)``."""
        re = np.where((s <= 1.0)[:, None], s[:, None] - 2.0 * self.h2[None, :],
                      2.0 * self.c2[None, :] - (2.0 - s)[:, None])
        return re - 1j * self.sin_theta[None, :]

    def differences(self, l: int) -> np.ndarray:
        """``y_j - y_l = -2i sin(π(j-l)/T) e^{-iπ(j+l)/T}`` for all ``j``."""
        T = self.T
        sn = _sin_pi_ratio(self.j - l, T)
        phase = np.pi * ((self.j + l) % (2 * T)) / T
        return -2j * sn * (np.cos(phase) - 1j * np.sin(phase))


# --------------------------------------------------------------------------------------------
# T = ∞: symmetric elimination on the Pick matrix
# --------------------------------------------------------------------------------------------
def pick_rrd(s: np.ndarray, u: np.ndarray):
    """Factor ``G_ij = u_i u_j / (1 - a_i a_j)`` as ``M M^T``, ``M = X diag(2^c)``.

    Symmetric Gaussian elimination with diagonal (= complete, the matrix being positive definite)
    pivoting. After eliminating pivot ``k`` the Schur complement is again of Pick form with the
    generator ``u_i <- u_i (a_i - a_k)/(1 - a_i a_k) = u_i (s_k - s_i)/(1 - a_i a_k)``, so every
    entry of ``M = P L D^{1/2}`` is computed to ``O(r ε)`` relative accuracy. The generators are
    kept in scaled form. Returns ``X`` (r, rank), columns of norm in [0.5, 1) in pivot order, and the
    integer column exponents ``c`` (rank,).
    """
    r = s.size
    um, ue = normalise(u.astype(np.float64), np.zeros(r, dtype=np.int64))
    d2 = s * (2.0 - s)                       # 1 - a_i^2, accurate
    sd2 = np.sqrt(d2)
    lsd2 = np.log2(sd2)
    X = np.zeros((r, r))
    c = np.zeros(r, dtype=np.int64)
    rank = 0
    for step in range(r):
        score = log2abs(um, ue) - lsd2       # log2 sqrt(Schur-complement diagonal)
        k = int(np.argmax(score))
        if score[k] == -np.inf:
            break
        w = one_minus_products(s, k)
        # column of M relative to 2^{ue_k}: u_i sqrt(1 - a_k^2) / (1 - a_i a_k); |M_ik| <= |M_kk|
        col, E = scaled_ratio(um, ue, w / sd2[k], k)
        X[:, step], kc = normalise_column(col)
        c[step] = E + kc
        um, ue = normalise(um * ((s[k] - s) / w), ue)
        um[k] = 0.0
        rank += 1
    return X[:, :rank], c[:rank]


# --------------------------------------------------------------------------------------------
# finite T: elimination on the DFT-Cauchy matrix
# --------------------------------------------------------------------------------------------
def cauchy_rrd(s: np.ndarray, g0: np.ndarray, T: int, pivoting: str = "complete"):
    """Accurate RRD ``X diag(d) Y^H`` of the ``(r, T)`` Cauchy-like matrix
    ``S_ij = g0_i / (ω^{-j} - a_i)``.

    Gaussian elimination with complete (``pivoting="complete"``, ``O(r T)`` work per step) or rook
    pivoting (``"rook"``, ``O(r + T)`` per search). The Schur complements keep the Cauchy-like form
    ``S_ij = g_i h_j / (y_j - a_i)`` (``x_i = -a_i``), with
    ``g_i <- g_i (x_i - x_k)/(x_i + y_l) = g_i (s_i - s_k)/(y_l - a_i)`` and
    ``h_j <- h_j (y_j - y_l)/(y_j - a_k)``, every factor accurate; generators in scaled form.

    Returns ``X`` (r, rank) and ``Y`` (T, rank) with unit-scale columns, and the pivots as phase,
    mantissa and integer exponent: ``d = ph * dm * 2**de``, so that ``S = X diag(d) Y^H``.
    """
    r = s.size
    nodes = DFTNodes(T)
    gm, ge = normalise(g0.astype(np.complex128), np.zeros(r, dtype=np.int64))
    hm = np.full(T, 0.5, dtype=np.complex128)
    he = np.ones(T, dtype=np.int64)
    kmax = min(r, T)
    X = np.zeros((r, kmax), dtype=np.complex128)
    Y = np.zeros((T, kmax), dtype=np.complex128)
    de = np.zeros(kmax, dtype=np.int64)
    dm = np.zeros(kmax)
    ph = np.zeros(kmax, dtype=np.complex128)
    lden = np.log2(np.abs(nodes.matrix(s))) if pivoting == "complete" else None
    rank = 0
    for step in range(kmax):
        lg, lh = log2abs(gm, ge), log2abs(hm, he)
        if lden is not None:
            score = lg[:, None] + lh[None, :]
            score -= lden
            k, l = divmod(int(np.argmax(score)), T)
            if score[k, l] == -np.inf:
                break
        else:
            k, l = _rook_pivot(nodes, s, lg, lh)
            if k < 0:
                break
        col_den = nodes.col(s, l)                  # y_l - a_i
        row_den = nodes.row(s[k])                  # y_j - a_k
        # S_{:,l} = h_l 2^{Ek} colv  and  S_{k,:} = g_k 2^{El} rowv, with 2^{Ek} (2^{El}) the
        # binary exponent of the quotient's pivot entry
        colv, Ek = scaled_ratio(gm, ge, col_den, k)
        rowv, El = scaled_ratio(hm, he, row_den, l)
        X[:, step], kx = normalise_column(colv)
        yv, ky = normalise_column(rowv)
        Y[:, step] = np.conj(yv)
        # rank-one term S_{:,l} S_{k,:} / S_kl, S_kl = g_k h_l / (y_l - a_k):
        #   = X_m [(y_l - a_k) 2^{Ek + El + kx + ky}] Y_m^H
        piv_den = col_den[k]
        mag = abs(piv_den)
        mant, ex = math.frexp(mag)
        dm[step] = mant
        de[step] = ex + Ek + El + kx + ky
        ph[step] = piv_den / mag
        # Schur complement update (row k and column l become exactly zero)
        gm, ge = normalise(gm * ((s - s[k]) / col_den), ge)
        hm, he = normalise(hm * (nodes.differences(l) / row_den), he)
        gm[k] = 0.0
        hm[l] = 0.0
        rank += 1
    return X[:, :rank], Y[:, :rank], ph[:rank], dm[:rank], de[:rank]


def _rook_pivot(nodes: DFTNodes, s: np.ndarray, lg: np.ndarray, lh: np.ndarray):
    """Rook pivoting in the log domain: an entry of maximal modulus in both its row and column."""
    if not (np.isfinite(lg).any() and np.isfinite(lh).any()):
        return -1, -1
    l = int(np.argmax(lh))
    colv = lg - np.log2(np.abs(nodes.col(s, l)))
    k = int(np.argmax(colv))
    val = colv[k] + lh[l]
    for _ in range(4 * (lg.size + lh.size)):
        rowv = lh - np.log2(np.abs(nodes.row(s[k])))
        l2 = int(np.argmax(rowv))
        if not rowv[l2] + lg[k] > val:
            break
        l, val = l2, rowv[l2] + lg[k]
        colv = lg - np.log2(np.abs(nodes.col(s, l)))
        k2 = int(np.argmax(colv))
        if not colv[k2] + lh[l] > val:
            break
        k, val = k2, colv[k2] + lh[l]
    if val == -np.inf:
        return -1, -1
    return k, l


# --------------------------------------------------------------------------------------------
# singular values of column-graded matrices
# --------------------------------------------------------------------------------------------
def column_normalised_cond(B: np.ndarray) -> float:
    """2-norm condition number of ``B`` (full column rank) scaled to unit columns; ``inf`` if
    singular."""
    if B.shape[1] == 0:
        return 1.0
    norms = np.linalg.norm(B, axis=0)
    if not np.all(norms > 0):
        return math.inf
    sv = np.linalg.svd(B / norms, compute_uv=False)
    return math.inf if not sv[-1] > 0 else float(sv[0] / sv[-1])


def graded_singular_values(A: np.ndarray, c: np.ndarray, *, force_scaled: bool = False):
    """Singular values of ``A diag(2^c)`` (``A`` (m, k), m >= k, real or complex, unit-scale
    columns; ``c`` integer exponents), to high relative accuracy when column-scaled ``A`` is well
    conditioned (Demmel–Veselić).

    Preconditioning as in Algorithm 3.1 / ``dgejsv``: sort the columns by scale, ``A = Q R``, so
    ``A diag(2^c) = Q diag(2^c) R̄`` with ``R̄_ij = R_ij 2^{c_j - c_i}`` (upper triangular, graded
    off-diagonal damped), and the singular values are those of the column-graded ``R̄^H diag(2^c)``.
    That matrix goes to LAPACK's ``dgejsv`` (``joba='E'``; a complex one through its real
    ``2k x 2k`` embedding, each singular value then appearing twice) when its column scales span at
    most ``DGEJSV_MAX_RANGE_BITS`` bits, and to :func:`scaled_jacobi` otherwise.

    Returns ``(mant, expo, kappa, method)``: singular values ``mant * 2**expo`` in descending order,
    the column-scaled condition number of the Jacobi input, and which Jacobi ran.
    """
    m, k = A.shape
    if k == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), 1.0, "none"
    order = np.argsort(-c, kind="stable")
    A = A[:, order]
    c = np.asarray(c, dtype=np.int64)[order]
    R = qr(A, mode="r", check_finite=False)[0][:k, :]
    Rbar = R * np.ldexp(1.0, np.clip(np.triu(c[None, :] - c[:, None]), -1100, 64))
    Rbar = np.triu(Rbar)
    J = Rbar.conj().T
    kappa = column_normalised_cond(J)
    span = int(c.max() - c.min())
    if span <= DGEJSV_MAX_RANGE_BITS and not force_scaled:
        Js = J * np.ldexp(1.0, c - c.max())[None, :]
        if np.iscomplexobj(Js):
            E = np.block([[Js.real, -Js.imag], [Js.imag, Js.real]])
            sig = jacobi_singular_values(E)[0][0::2]
        else:
            sig = jacobi_singular_values(Js)[0]
        mant, ex = np.frexp(sig)
        return mant, ex.astype(np.int64) + c.max(), kappa, "dgejsv"
    mant, ex = scaled_jacobi(J, c)
    return mant, ex, kappa, "scaled-jacobi"


def jacobi_singular_values(A: np.ndarray, *, row_graded: bool = False):
    """Singular values (descending) of a real tall ``A`` (m >= n) by LAPACK ``dgejsv``.

    ``joba='E'`` (column-graded input ``A = B D``) or ``'G'`` (row and column pivoting,
    ``A = D B``); full range (``jobr='N'``), no perturbation (``jobp='N'``), no vectors. Returns
    ``(sigma, sconda)`` where ``sconda`` is LAPACK's estimate of ``||R^{-1}||_2`` for the
    column-equilibrated input (within a factor ``n^{1/4}``), ``inf`` if LAPACK warned.
    """
    m, n = A.shape
    if n == 0:
        return np.zeros(0), 1.0
    sva, _, _, work, iwork, info = lapack.dgejsv(np.asfortranarray(A, dtype=np.float64),
                                                joba=3 if row_graded else 1, jobu=3, jobv=3,
                                                jobr=0, jobt=0, jobp=0)
    if info != 0:
        raise np.linalg.LinAlgError(f"dgejsv failed (info={info})")
    sigma = np.sort((work[0] / work[1]) * sva)[::-1]
    sconda = float(work[2])
    if not sconda > 0 or iwork[2] != 0:
        sconda = math.inf
    return sigma, sconda


def _round_robin(k: int):
    """Disjoint pairings of 0..k-1 covering every pair once (circle method)."""
    K = k + (k % 2)
    players = list(range(K))
    rounds = []
    for _ in range(K - 1):
        P, Q = [], []
        for i in range(K // 2):
            p, q = players[i], players[K - 1 - i]
            if p < k and q < k:
                P.append(p)
                Q.append(q)
        rounds.append((np.array(P, dtype=np.intp), np.array(Q, dtype=np.intp)))
        players = [players[0]] + [players[-1]] + players[1:-1]
    return rounds


def scaled_jacobi(A: np.ndarray, c: np.ndarray, *, max_sweeps: int = 80):
    """One-sided Jacobi SVD of ``A diag(2^c)`` with the column scales kept apart.

    Columns ``a_p 2^{c_p}``, ``a_q 2^{c_q}`` with ``c_p >= c_q`` are rotated using only
    ``ρ = 2^{c_q - c_p} <= 1``: with ``α = |a_p|^2``, ``β = |a_q|^2``,
    ``γ = a_p^H a_q = |γ| e^{iφ}``,
    ``x = (α - ρ^2 β)/(2|γ|)``, ``τ = -1/(x + sign(x) sqrt(x^2 + ρ^2))`` (so ``tan θ = ρ τ``),
    ``cs = 1/sqrt(1 + ρ^2 τ^2)``, the update is
    ``a_p <- cs (a_p - ρ^2 τ e^{-iφ} a_q)``, ``a_q <- cs (τ a_p + e^{-iφ} a_q)``.
    This is the classical rotation written in scaled variables, so it keeps the relative accuracy
    of one-sided Jacobi on column-graded matrices at any exponent range. Parallel (round-robin)
    ordering, convergence when every pair has ``|γ| <= sqrt(m) ε sqrt(α β)``.

    Returns ``(mant, expo)``: singular values ``mant * 2**expo``, descending.
    """
    A = np.array(A, dtype=np.complex128 if np.iscomplexobj(A) else np.float64, copy=True)
    m, k = A.shape
    c = np.asarray(c, dtype=np.int64).copy()
    A, c = _normalise_columns(A, c)
    tol = math.sqrt(m) * EPS
    rounds = _round_robin(k)
    for _ in range(max_sweeps):
        rotated = False
        for P, Q in rounds:
            if P.size == 0:
                continue
            swap = c[Q] > c[P]
            P2 = np.where(swap, Q, P)
            Q2 = np.where(swap, P, Q)
            ap = A[:, P2]
            aq = A[:, Q2]
            alpha = np.einsum("ij,ij->j", ap.conj(), ap).real
            beta = np.einsum("ij,ij->j", aq.conj(), aq).real
            gamma = np.einsum("ij,ij->j", ap.conj(), aq)
            g = np.abs(gamma)
            need = g > tol * np.sqrt(alpha * beta)
            if not need.any():
                continue
            rotated = True
            sel = np.nonzero(need)[0]
            P2, Q2 = P2[sel], Q2[sel]
            ap, aq = ap[:, sel], aq[:, sel]
            alpha, beta, gamma, g = alpha[sel], beta[sel], gamma[sel], g[sel]
            rho = np.ldexp(1.0, np.maximum(c[Q2] - c[P2], -1100))
            x = (alpha - rho * rho * beta) / (2.0 * g)
            sgn = np.where(x >= 0, 1.0, -1.0)
            tau = -1.0 / (x + sgn * np.sqrt(x * x + rho * rho))
            t = rho * tau
            cs = 1.0 / np.sqrt(1.0 + t * t)
            ph = np.conj(gamma / g)
            aqp = aq * ph[None, :]
            newp = (ap - (rho * t)[None, :] * aqp) * cs[None, :]
            newq = (tau[None, :] * ap + aqp) * cs[None, :]
            A[:, P2] = newp
            A[:, Q2] = newq
            sub = np.concatenate([P2, Q2])
            A[:, sub], c[sub] = _normalise_columns(A[:, sub], c[sub])
        if not rotated:
            break
    else:
        raise np.linalg.LinAlgError("scaled one-sided Jacobi did not converge")
    mant, ex = column_norm_exponents(A)
    ex = ex + c
    key = np.log2(np.where(mant > 0, mant, 1.0)) + ex
    key[mant == 0] = -np.inf
    order = np.argsort(-key, kind="stable")
    return mant[order], ex[order]


def _normalise_columns(A: np.ndarray, c: np.ndarray):
    _, k = column_norm_exponents(A)
    return A * np.ldexp(1.0, np.clip(-k, -1100, 1100))[None, :], c + k


# --------------------------------------------------------------------------------------------
# the two Gramian pipelines
# --------------------------------------------------------------------------------------------
def pick_singular_values(s: np.ndarray, u: np.ndarray, *, force_scaled: bool = False):
    """Singular values of ``M`` with ``M M^T = G(∞)``, ``G_ij = u_i u_j / (1 - a_i a_j)``.

    Returns ``(mant, expo, info)`` with ``info`` holding ``kappa_x`` (condition number of the
    column-normalised elimination factor), ``kappa_j`` (of the Jacobi input) and ``jacobi``.
    """
    X, c = pick_rrd(s, u)
    kx = column_normalised_cond(X)
    mant, ex, kj, meth = graded_singular_values(X, c, force_scaled=force_scaled)
    return mant, ex, {"kappa_x": kx, "kappa_y": kx, "kappa_j": kj, "jacobi": meth,
                      "rank": X.shape[1]}


def dft_singular_values(s: np.ndarray, u: np.ndarray, T: int, *, pivoting: str = "complete",
                        force_scaled: bool = False):
    """Singular values of ``M = diag(u) V`` (``V_it = a_i^t``, ``t < T``), i.e. square roots of the
    eigenvalues of ``G(T)``, by the DFT-Cauchy route.

    ``M F = diag(u (1 - a^T)/sqrt(T)) C diag(ω^{-j})`` with ``F_tj = ω^{tj}/sqrt(T)`` unitary and
    ``C_ij = 1/(ω^{-j} - a_i)``; so ``σ(M) = σ(diag(g0) C)``. GE on the Cauchy-like matrix gives
    ``X diag(d) Y^H``; with ``X = Q_X R_X``, ``Y = Q_Y R_Y`` and the pivots sorted by modulus,
    ``σ(M) = σ(R_X D R_Y^H) = σ(diag(|d|) B)``, ``B = (|D|^{-1} R_X D) R_Y^H`` (graded, the strictly
    upper part of ``R_X`` damped by ``|d_j/d_i|``), and the column-graded ``B^H diag(|d|)`` goes to
    :func:`graded_singular_values`.
    """
    g0 = u * one_minus_powers(s, T) / math.sqrt(T)
    X, Y, ph, dm, de = cauchy_rrd(s, g0, T, pivoting=pivoting)
    k = X.shape[1]
    key = np.log2(dm) + de
    order = np.argsort(-key, kind="stable")
    X, Y, ph, dm, de = X[:, order], Y[:, order], ph[order], dm[order], de[order]
    RX = qr(X, mode="r", check_finite=False)[0][:k, :]
    RY = qr(Y, mode="r", check_finite=False)[0][:k, :]
    kx = column_normalised_cond(RX)
    ky = column_normalised_cond(RY)
    damp = np.ldexp(1.0, np.clip(np.triu(de[None, :] - de[:, None]), -1100, 64))
    Rbar = np.triu(RX * damp) * (ph * dm)[None, :]
    B = Rbar @ RY.conj().T
    mant, ex, kj, meth = graded_singular_values(B.conj().T, de, force_scaled=force_scaled)
    return mant, ex, {"kappa_x": kx, "kappa_y": ky, "kappa_j": kj, "jacobi": meth, "rank": k}
