r"""A numerically optimised PAC-Bayes bound in the style of Dziugaite & Roy (2017).

G. K. Dziugaite and D. M. Roy, *Computing Nonvacuous Generalization Bounds for Deep (Stochastic)
Neural Networks with Many More Parameters than Training Data*, UAI 2017 (arXiv:1703.11008), §3–4.
The thesis quotes their binary-MNIST bound 0.161 next to its analytic bound 0.32 (§4.3.3).

The posterior is a Gaussian with diagonal covariance, the prior an isotropic Gaussian centred at
the initialisation :math:`w_0` with variance :math:`\lambda`:

.. math:: Q = N(\mu, \operatorname{diag}(e^{2\varsigma})),\qquad P = N(w_0, \lambda I),\qquad
          \lambda = c\,e^{-j/b},\ j \in \{1, 2, \dots\}

.. math:: \mathrm{KL}(Q\|P) = \tfrac12\Big[\tfrac{1}{\lambda}\textstyle\sum_i e^{2\varsigma_i}
          + \tfrac{1}{\lambda}\|\mu - w_0\|^2 - p + p\log\lambda - 2\sum_i \varsigma_i\Big]

.. math:: B(\mu,\varsigma,\lambda) = \frac{\mathrm{KL}(Q\|P) + 2\log(b\log\tfrac{c}{\lambda})
          + \log\tfrac{\pi^2 n}{6\delta}}{n - 1}

(the ``2 log j`` term pays the union bound over the grid of prior scales, δ_j = 6δ/(π²j²), thesis
§4.7.3.1). The optimiser minimises the surrogate
:math:`\breve e(Q) + \sqrt{B/2}` (cross-entropy in bits, which bounds the 0–1 error from above; the
square root is Pinsker's relaxation of Thm 4.7.1) by RMSprop on :math:`(\mu, \varsigma, \rho)` with
:math:`\lambda = e^{2\rho}` and one Monte-Carlo weight sample per step (the reparameterisation
:math:`w = \mu + e^{\varsigma}\odot\xi`). The final bound rounds :math:`j = b\log(c/\lambda)` up
and down (both are on the union-bound grid), estimates the empirical error of Q from
``mc_samples`` weight draws, bounds it by the Monte-Carlo sample bound

.. math:: \hat e(Q) \le \overline{e} = \mathrm{kl}^{-1}\big(\hat e_{m}(Q), \log(2/\delta')/m\big)

and reports :math:`e(Q) \le \mathrm{kl}^{-1}(\overline{e}, B)`, which holds with probability at
least :math:`1 - \delta - \delta'` (Dziugaite & Roy's δ = 0.025, δ' = 0.01, b = 100, c = 0.1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hyperribbon.theory import InvalidArgument

from ._flat import batched_logits, flat_params, flat_spec, logits_at

__all__ = ["DRSettings", "DRResult", "kl_diagonal", "prior_precision", "bound_complexity", "optimise_posterior",
           "monte_carlo_error", "dziugaite_roy_bound"]

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class DRSettings:
    """Settings of the optimisation; defaults are Dziugaite & Roy's where they state them.

    Attributes
    ----------
    b, c : float
        Prior-variance grid λ = c·exp(−j/b) (paper: b = 100, c = 0.1).
    delta, delta_prime : float
        Confidence of the PAC-Bayes bound and of the Monte-Carlo sample bound
        (paper: 0.025 and 0.01).
    iterations : int
        RMSprop steps (the paper runs far longer on MNIST; this is sized for digits).
    lr : float
        RMSprop learning rate (paper: 0.001).
    batch_size : int
        Training samples per step.
    mc_samples : int
        Weight draws for the final empirical error (paper: 150 000 on MNIST).
    rho0 : float
        Initial ρ, λ = e^{2ρ} (our choice −3, i.e. λ ≈ 2.5e-3).
    sigma0_scale : float
        Initial posterior standard deviations e^{ς} = sigma0_scale·|μ_i| + 1e-4 (our choice).
    seed : int
    """

    b: float = 100.0
    c: float = 0.1
    delta: float = 0.025
    delta_prime: float = 0.01
    iterations: int = 2000
    lr: float = 1e-3
    batch_size: int = 100
    mc_samples: int = 2000
    rho0: float = -3.0
    sigma0_scale: float = 0.1
    seed: int = 0

    def __post_init__(self):
        owner = "DRSettings"
        for name in ("b", "c", "lr", "sigma0_scale"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InvalidArgument(name, owner, "be a positive finite number", v)
        for name in ("delta", "delta_prime"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 < v < 1):
                raise InvalidArgument(name, owner, "be in (0, 1)", v)
        for name in ("iterations", "batch_size", "mc_samples"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise InvalidArgument(name, owner, "be a positive integer", v)


def kl_diagonal(mu, log_std, w0, prior_var: float) -> float:
    r"""KL(N(μ, diag e^{2ς}) ‖ N(w0, λI)) in nats, in float64.

    Parameters
    ----------
    mu, log_std, w0 : (p,) array_like
    prior_var : float
        λ > 0.

    Examples
    --------
    >>> import numpy as np
    >>> kl_diagonal(np.zeros(3), np.zeros(3), np.zeros(3), 1.0)     # Q = P
    0.0
    >>> round(kl_diagonal(np.ones(2), np.zeros(2), np.zeros(2), 1.0), 12)   # ‖μ − w0‖²/2
    1.0
    """
    mu, ls, w0 = (np.asarray(a, dtype=np.float64).ravel() for a in (mu, log_std, w0))
    lam = float(prior_var)
    if not lam > 0:
        raise InvalidArgument("prior_var", "kl_diagonal", "be > 0", prior_var)
    p = mu.size
    return float(0.5 * (np.exp(2 * ls).sum() / lam + np.sum((mu - w0) ** 2) / lam - p
                        + p * math.log(lam) - 2 * ls.sum()))


def prior_precision(j: int, b: float, c: float) -> float:
    """ε_j = 1/λ_j = e^{j/b}/c: the prior precision of grid point j (prior variance
    λ_j = c·e^{−j/b}); the grid of :func:`hyperribbon.theory.networks.pac_bayes.prior_grid`
    with its constant 1/c."""
    from hyperribbon.theory.networks.pac_bayes import prior_grid
    return prior_grid(int(j), float(b), 1.0 / float(c))


def bound_complexity(kl: float, j: int, n: int, delta: float, b: float = 100.0,
                     c: float = 0.1) -> float:
    r"""B = (KL + 2 log j + log(π²n/(6δ)))/(n − 1): the right-hand side of Thm 4.7.1 with the
    union bound over the prior-scale index j ≥ 1 (δ_j = 6δ/(π²j²)), through
    :func:`~hyperribbon.theory.networks.pac_bayes.budget` and
    :func:`~hyperribbon.theory.networks.pac_bayes.union_bound_penalty`.

    Examples
    --------
    >>> import math
    >>> B = bound_complexity(10.0, 3, 101, 0.05)
    >>> abs(B - (10 + 2 * math.log(3) + math.log(math.pi**2 * 101 / 0.3)) / 100) < 1e-13
    True
    """
    from hyperribbon.theory.networks.pac_bayes import budget, union_bound_penalty
    if not isinstance(j, (int, np.integer)) or isinstance(j, bool) or j < 1:
        raise InvalidArgument("j", "bound_complexity", "be an integer ≥ 1", j)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise InvalidArgument("n", "bound_complexity", "be an integer ≥ 2", n)
    eps = prior_precision(j, b, c)
    extra = union_bound_penalty(eps, float(b), 1.0 / float(c), int(n), float(delta)) \
        - math.log(n / delta)
    return budget(float(kl), int(n), float(delta), max(extra, 0.0))


@dataclass
class DRResult:
    """The optimised posterior and its final bound (all numbers in float64 Python types)."""

    mean: np.ndarray
    log_std: np.ndarray
    prior_var_continuous: float
    j: int
    prior_var: float
    kl: float
    complexity: float
    mc_samples: int
    train_error_mc: float
    train_error_upper: float
    bound: float
    bound_pinsker: float
    test_error_mc: float | None
    settings: DRSettings
    history: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"bound": self.bound, "bound_pinsker": self.bound_pinsker, "kl": self.kl,
                "j": self.j, "prior_var": self.prior_var,
                "train_error_mc": self.train_error_mc,
                "train_error_upper": self.train_error_upper,
                "test_error_mc": self.test_error_mc, "mc_samples": self.mc_samples,
                "mean_posterior_std": float(np.exp(self.log_std).mean()),
                "confidence": 1 - self.settings.delta - self.settings.delta_prime}


def optimise_posterior(model, X, y, w0, settings: DRSettings = DRSettings(), progress=False):
    """Minimise ĕ(Q) + sqrt(B/2) over (μ, ς, ρ) by RMSprop, starting at μ = the model's weights.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network (its weights are the initial posterior mean; left unchanged).
    X : (n, ...) tensor
    y : (n,) int64 tensor
    w0 : (p,) tensor
        The initialisation (the prior mean; must not depend on the training data).

    Returns
    -------
    mean, log_std : (p,) float64 ndarrays
    prior_var : float
        The continuous optimum of λ (rounded onto the grid by :func:`dziugaite_roy_bound`).
    history : dict of lists (objective, KL, surrogate loss every ~1% of the run)
    """
    import torch
    import torch.nn.functional as F
    n = int(X.shape[0])
    spec = flat_spec(model)
    w = flat_params(model, torch.float32)
    if w0.shape != w.shape:
        raise InvalidArgument("w0", "optimise_posterior", f"have shape {tuple(w.shape)}",
                              tuple(w0.shape))
    w0 = w0.detach().to(torch.float32)
    gen = torch.Generator().manual_seed(int(settings.seed))
    mu = w.clone().requires_grad_(True)
    ls = torch.log(settings.sigma0_scale * w.abs() + 1e-4).requires_grad_(True)
    rho = torch.tensor(float(settings.rho0), requires_grad=True)
    opt = torch.optim.RMSprop([mu, ls, rho], lr=settings.lr)
    p = w.numel()
    const = math.log(math.pi ** 2 * n / (6 * settings.delta))
    b, c = settings.b, settings.c
    hist = {"step": [], "objective": [], "kl": [], "surrogate": [], "prior_var": []}
    every = max(1, settings.iterations // 100)
    it = range(settings.iterations)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="Dziugaite-Roy", leave=False)
    model.eval()
    for step in it:
        idx = torch.randint(0, n, (min(settings.batch_size, n),), generator=gen)
        xi = torch.randn(p, generator=gen)
        theta = mu + torch.exp(ls) * xi
        out = logits_at(model, theta, X[idx], spec)
        surrogate = F.cross_entropy(out, y[idx]) / LOG2
        lam = torch.exp(2 * rho)
        kl = 0.5 * (torch.exp(2 * ls).sum() / lam + ((mu - w0) ** 2).sum() / lam - p
                    + p * torch.log(lam) - 2 * ls.sum())
        jcont = torch.clamp(b * torch.log(c / lam), min=1.0)
        B = (kl + 2 * torch.log(jcont) + const) / (n - 1)
        obj = surrogate + torch.sqrt(torch.clamp(B, min=0) / 2)
        opt.zero_grad()
        obj.backward()
        opt.step()
        if step % every == 0 or step == settings.iterations - 1:
            hist["step"].append(step)
            hist["objective"].append(float(obj.detach()))
            hist["kl"].append(float(kl.detach()))
            hist["surrogate"].append(float(surrogate.detach()))
            hist["prior_var"].append(float(lam.detach()))
    return (mu.detach().double().numpy(), ls.detach().double().numpy(),
            float(torch.exp(2 * rho.detach())), hist)


def monte_carlo_error(model, mean, log_std, X, y, samples: int, seed: int,
                      chunk: int = 32) -> float:
    """The 0–1 error of Q = N(mean, diag e^{2 log_std}) averaged over ``samples`` weight draws
    and all (X, y) — an unbiased estimate of ê(Q) (or of the test error of Q on a test set)."""
    import torch
    spec = flat_spec(model)
    mu = torch.as_tensor(mean, dtype=torch.float32)
    sd = torch.exp(torch.as_tensor(log_std, dtype=torch.float32))
    gen = torch.Generator().manual_seed(int(seed))
    wrong, total = 0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, samples, chunk):
            k = min(chunk, samples - start)
            thetas = mu + sd * torch.randn(k, mu.numel(), generator=gen)
            pred = batched_logits(model, thetas, X, spec, chunk=k).argmax(-1)
            wrong += int((pred != y).sum())
            total += pred.numel()
    return wrong / total


def dziugaite_roy_bound(model, X, y, w0, settings: DRSettings = DRSettings(), X_test=None,
                        y_test=None, progress=False) -> DRResult:
    """Optimise the posterior (:func:`optimise_posterior`) and compute its final bound.

    Returns
    -------
    DRResult
        ``bound`` holds with probability ≥ 1 − δ − δ' over the training sample and the
        Monte-Carlo draws; ``bound_pinsker`` is the same with Pinsker's relaxation
        ê + sqrt(B/2) in place of the kl inversion (never smaller).
    """
    from hyperribbon.theory.networks.pac_bayes import kl_inverse
    n = int(X.shape[0])
    mean, ls, lam, hist = optimise_posterior(model, X, y, w0, settings, progress)
    w0n = w0.detach().double().numpy()
    jc = settings.b * math.log(settings.c / lam)
    best = None
    for j in sorted({max(1, math.floor(jc)), max(1, math.ceil(jc))}):
        lam_j = 1.0 / prior_precision(j, settings.b, settings.c)
        kl = kl_diagonal(mean, ls, w0n, lam_j)
        B = bound_complexity(kl, j, n, settings.delta, settings.b, settings.c)
        if best is None or B < best[2]:
            best = (j, lam_j, B, kl)
    j, lam_j, B, kl = best
    m = int(settings.mc_samples)
    e_mc = monte_carlo_error(model, mean, ls, X, y, m, settings.seed + 1)
    e_up = kl_inverse(e_mc, math.log(2 / settings.delta_prime) / m)
    bound = kl_inverse(e_up, B)
    test = None
    if X_test is not None:
        test = monte_carlo_error(model, mean, ls, X_test, y_test, max(1, m // 4),
                                 settings.seed + 2)
    return DRResult(mean=mean, log_std=ls, prior_var_continuous=lam, j=int(j), prior_var=lam_j,
                    kl=kl, complexity=B, mc_samples=m, train_error_mc=e_mc,
                    train_error_upper=e_up, bound=bound,
                    bound_pinsker=min(1.0, e_up + math.sqrt(B / 2)), test_error_mc=test,
                    settings=settings, history=hist)
