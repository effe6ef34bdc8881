"""Python functions behind ``hyperribbon lemmas``, ``verify`` and ``errata`` (the CLI is a thin
shell over these).

Every parameter is validated here, before any problem is built, through the declared domains
(:data:`hyperribbon.theory.LINEAR_GD_DOMAINS` and the size limits :data:`LIMITS`), so the
Python call and the command line reject the same input with an error naming the parameter
(the CLI maps it to its flag with :data:`FLAGS`). Parameters a checked lemma does not use are
rejected instead of silently ignored (:data:`USES`). With ``key="all"`` a lemma whose problem
cannot be built for the parameters, or whose check would not fit in memory or in a day, is
reported ``not_applicable`` with the reason and the others still run; for one lemma the same
situation is an :class:`~hyperribbon.theory.errors.InvalidArgument`.

This module imports nothing heavy at import time (the CLI imports it to build ``--help``).

Examples
--------
>>> verdicts = verify("5.2.2", n=20, c=0.3, alpha=0.9, T=30, sigma_w2=0.1, sigma_star2=2.0)
>>> [(v.lemma_id, v.status.value) for v in verdicts]
[('thesis-lemma-5.2.2', 'holds')]
>>> verify("5.2.3", batch_size=4)                  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hyperribbon.theory.errors.InvalidArgument: Argument `batch_size` of `verify('5.2.3')` must be a parameter of thesis-lemma-5.2.3, ...
"""
from __future__ import annotations

import importlib.util
import math
import numbers
import re
import os
import threading
import time

__all__ = ["DEFAULTS", "VARIANT_DEFAULTS", "LIMITS", "FLAGS", "USES", "lemma_table", "select",
           "chapter_of",
           "make_problem", "problem_for", "verify", "errata_rows", "uses", "flag_for",
           "estimate_cost", "is_network_key", "PROBE_ABOVE_T", "MAX_SECONDS"]

#: The thesis's Fig 5.2 setting (n = 50, c = 0.2, T = 50, σw² = 0.1, σ*² = 2); α = 0.9 is this
#: toolkit's choice (Fig 5.2 does not state it; it satisfies assumption (iii) α < 1/λ1 = 1).
DEFAULTS = dict(n=50, c=0.2, alpha=0.9, T=50, sigma_w2=0.1, sigma_star2=2.0, seed=0,
                lambda1=1.0)
#: Defaults of the §5.3 variants (batch size, weight decay, kernel slopes, network width).
VARIANT_DEFAULTS = dict(batch_size=1, weight_decay=0.1, slopes=(0.2, 0.3, 0.5), width=4)
#: Chapter 4 (network) parameters; ``None`` leaves the choice to
#: ``hyperribbon.experiments.curvature.verify.verify_network``.
NETWORK_PARAMETERS = ("arch", "width", "data", "epochs", "seed")

#: Upper limits of the size parameters, checked before anything is allocated. n: the engines
#: hold a few dense n×n matrices and do O(n³) eigensolves (n = 1000 checks every lemma in about
#: 1.5 min on one core); T: closed forms are exact far beyond 10¹², checks that iterate over
#: t < T are additionally estimated (:func:`estimate_cost`); seed: 64-bit seeds.
LIMITS = dict(n=2000, T=2**53, seed=2**63 - 1, batch_size=2000, width=4096, slopes=64,
              epochs=100_000)
#: Checks whose estimated time exceeds this (seconds) are refused before they start.
MAX_SECONDS = 24 * 3600.0
#: For T above this, the time and memory of a check are estimated by running it at three small
#: T first (:func:`estimate_cost`).
PROBE_ABOVE_T = 20_000

#: Python parameter → command-line flag.
FLAGS = {"n": "--n", "c": "--c", "alpha": "--alpha", "T": "--T", "sigma_w2": "--sigma-w2",
         "sigma_star2": "--sigma-star2", "lambda1": "--lambda1", "seed": "--seed",
         "batch_size": "--batch-size", "weight_decay": "--weight-decay", "slopes": "--slopes",
         "width": "--width", "arch": "--arch", "data": "--data", "epochs": "--epochs"}

_LINEAR = ("n", "c", "alpha", "T", "sigma_w2", "sigma_star2", "lambda1", "seed")
#: Problem type → the parameters its problems are built from (a flag no checked lemma uses is an
#: error). Chapter 4 lemmas ("network") take the network flags.
USES = {"LinearGDProblem": _LINEAR,
        "SGDProblem": _LINEAR + ("batch_size",),
        "WeightDecayProblem": _LINEAR + ("weight_decay",),
        "MultiKernelProblem": ("n", "slopes", "alpha", "T", "sigma_w2", "sigma_star2", "seed"),
        "DeepLinearProblem": ("n", "T", "width", "seed"),
        "ProbabilityEnsemble": ("n", "seed"),
        "PremetricSpace": ("n", "seed"),
        "network": NETWORK_PARAMETERS}

#: Arguments of problem constructors that are not parameters of :func:`verify` → the parameters
#: they are computed from (an error about them is reported against these).
_DERIVED = {"lam": ("n", "c", "slopes", "lambda1"), "yhat": ("lambda1", "sigma_star2"),
            "c": ("slopes", "n"), "lambda1": ("slopes",),
            "grams": ("n", "slopes"), "y": ("n", "seed"), "X": ("n",), "D": ("n",),
            "m": ("n",), "n_samples": ("n",), "p": ("width",), "b": ("batch_size",),
            "P": ("n",), "base": ("n", "c", "alpha", "T", "lambda1")}


def flag_for(argument: str) -> str | None:
    """The command-line flag of a :func:`verify` parameter (``None`` if it has none)."""
    return FLAGS.get(argument)


def is_network_key(key: str) -> bool:
    """Whether ``key`` addresses a Chapter 4 statement (a number starting with ``4.``)."""
    return str(key).strip().lstrip("(").startswith("4.")


def chapter_of(lemma) -> str:
    """The thesis chapter of a lemma, from its number ("5.2.3", "(2.2.9)", "5.3-sgd-bound")."""
    return str(lemma.number).lstrip("(").split(".")[0]


def select(key: str) -> list:
    """The lemmas addressed by ``key``: "all", "ch<k>" (every lemma of chapter k), or one lemma
    (an id or a thesis number, see :func:`hyperribbon.theory.registry.get`)."""
    from hyperribbon.theory import registry
    from hyperribbon.theory.errors import InvalidArgument
    if key == "all":
        return registry.all_lemmas()
    m = re.fullmatch(r"ch(\d+)", key.strip().lower())
    if m:
        chosen = [lem for lem in registry.all_lemmas() if chapter_of(lem) == m.group(1)]
        if not chosen:
            have = sorted({chapter_of(lem) for lem in registry.all_lemmas()}, key=int)
            raise InvalidArgument("key", "verify", "address a chapter with registered lemmas ("
                                  + ", ".join(f"ch{c}" for c in have) + ")", key)
        return chosen
    return [registry.get(key)]


def _kind(lemma) -> str:
    name = lemma.problem_type.__name__
    return "network" if name == "NetworkProblem" else name


def uses(lemma) -> tuple:
    """The :func:`verify` parameters the problem of ``lemma`` is built from."""
    return USES.get(_kind(lemma), ("seed",))


def lemma_table() -> list[dict]:
    """One row per registered lemma: id, thesis number, variant, provenance, status."""
    from hyperribbon.theory import registry
    return [lem.summary() for lem in registry.all_lemmas()]


def make_problem(**params):
    """The sloppy problem of :meth:`LinearGDProblem.sloppy`, defaults :data:`DEFAULTS`."""
    from hyperribbon.theory.linear_models.problems import LinearGDProblem
    p = dict(DEFAULTS)
    p.update({k: v for k, v in params.items() if v is not None})
    return LinearGDProblem.sloppy(**p)


def problem_for(lemma, **params):
    """The problem a lemma checks, built from ``params`` (:data:`DEFAULTS` and
    :data:`VARIANT_DEFAULTS` for those left out or ``None``): the sloppy linear problem, wrapped
    or replaced for §5.3 and Chapters 2–3. Parameters the lemma does not use are ignored here
    (:func:`verify` rejects them)."""
    import numpy as np
    from hyperribbon.theory.linear_models.deep_linear import DeepLinearProblem
    from hyperribbon.theory.linear_models.kernels import MultiKernelProblem
    from hyperribbon.theory.linear_models.problems import LinearGDProblem
    from hyperribbon.theory.linear_models.sgd import SGDProblem
    from hyperribbon.theory.linear_models.weight_decay import WeightDecayProblem
    from hyperribbon.theory.prediction_space.infogeo import PremetricSpace, ProbabilityEnsemble
    extra = dict(VARIANT_DEFAULTS)
    extra.update({k: params[k] for k in VARIANT_DEFAULTS if params.get(k) is not None})
    p = dict(DEFAULTS)
    p.update({k: v for k, v in params.items() if k in DEFAULTS and v is not None})
    kind = lemma.problem_type
    if kind is LinearGDProblem:
        return make_problem(**p)
    if kind is SGDProblem:
        return SGDProblem(make_problem(**p), extra["batch_size"])
    if kind is WeightDecayProblem:
        return WeightDecayProblem(make_problem(**p), extra["weight_decay"])
    if kind is MultiKernelProblem:
        return MultiKernelProblem.sloppy(n=p["n"], slopes=tuple(extra["slopes"]),
                                         alpha=p["alpha"], T=p["T"], sigma_w2=p["sigma_w2"],
                                         sigma_star2=p["sigma_star2"], seed=p["seed"])
    if kind is DeepLinearProblem:
        # d = n + 4 inputs; the step α = 0.5/(‖X‖₂²(1 + ‖y‖)) keeps the two-layer net stable
        base = DeepLinearProblem.synthetic(n=p["n"], d=p["n"] + 4, p=extra["width"],
                                           seed=p["seed"], T=p["T"])
        curv = float(np.linalg.norm(base.X, 2) ** 2 * (1 + np.linalg.norm(base.y)))
        return DeepLinearProblem(base.X, base.y, base.width, 0.5 / curv, base.T,
                                 base.init_scale, True, base.seed)
    if kind is ProbabilityEnsemble:
        return ProbabilityEnsemble.confident(n_samples=p["n"], n_classes=10,
                                             error_rates=[0.0, 0.5, 0.8, 0.875], seed=p["seed"])
    if kind is PremetricSpace:
        return PremetricSpace.random_bhattacharyya(m=p["n"], seed=p["seed"])
    from hyperribbon.theory.errors import InvalidArgument
    raise InvalidArgument("lemma", "problem_for", "have a problem type with a builder "
                          "(LinearGDProblem, SGDProblem, WeightDecayProblem, MultiKernelProblem, "
                          "DeepLinearProblem, ProbabilityEnsemble, PremetricSpace)",
                          kind.__name__)


# ---------------------------------------------------------------------------- validation
def _domains():
    from hyperribbon.theory import LINEAR_GD_DOMAINS as L
    from hyperribbon.theory.domains import Domain, size_domain
    notes = {"n": "LIMITS['n'] of hyperribbon.experiments.verify: dense n×n eigensolves, "
                  "O(n³) per lemma",
             "T": "2^53, T enters float64 formulas exactly",
             "batch_size": "LIMITS['batch_size'] (the batch is at most n)",
             "width": "LIMITS['width'] of hyperribbon.experiments.verify",
             "epochs": "LIMITS['epochs'] of hyperribbon.experiments.verify"}
    size = {k: size_domain(LIMITS[k], note) for k, note in notes.items()}
    return {**size, "c": L["c"], "alpha": L["alpha"], "sigma_w2": L["sigma_w2"],
            "sigma_star2": L["sigma_star2"], "lambda1": L["lambda1"],
            "weight_decay": Domain(low=0.0, low_closed=True),
            "seed": size_domain(LIMITS["seed"], "2^63 − 1", low=0),
            "slope": L["c"]}


def _validate(params: dict, owner: str) -> dict:
    """Each given parameter in its declared domain (ints become int, slopes a tuple)."""
    from hyperribbon.theory.errors import InvalidArgument
    dom = _domains()
    out = {}
    for k, v in params.items():
        if v is None:
            continue
        if k in ("arch", "data"):
            if not isinstance(v, str) or not v:
                raise InvalidArgument(k, owner, "be a non-empty string", v)
            out[k] = v
            continue
        if k == "slopes":
            if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
                raise InvalidArgument(k, owner, "be a sequence of slopes c^(m) > 0", v)
            vals = tuple(v)
            if not 1 <= len(vals) <= LIMITS["slopes"]:
                raise InvalidArgument(k, owner, f"hold 1 to {LIMITS['slopes']} slopes", v)
            for x in vals:
                if not dom["slope"].contains(x):
                    raise InvalidArgument(k, owner, "hold slopes c^(m) in (0, ∞) (finite)", v)
            out[k] = tuple(float(x) for x in vals)
            continue
        d = dom[k]
        ctx = {"lambda1": params.get("lambda1") or DEFAULTS["lambda1"]} if k == "alpha" else {}
        if k == "alpha" and not (isinstance(ctx["lambda1"], numbers.Real)
                                 and dom["lambda1"].contains(ctx["lambda1"])):
            ctx = {"lambda1": DEFAULTS["lambda1"]}
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise InvalidArgument(k, owner, "be " + ("an integer" if d.integer
                                                     else "a real number"), v)
        d.validate(v, k, owner, ctx)
        out[k] = int(v) if d.integer else float(v)
    return out


def _reblame(exc, params: dict, where: str):
    """An InvalidArgument raised while building a problem, restated against the parameters of
    :func:`verify` it comes from (its own argument name if that is one)."""
    from hyperribbon.theory.errors import InvalidArgument
    arg = getattr(exc, "argument", None)
    if arg in params:
        return exc
    sources = [s for s in _DERIVED.get(arg, ()) if s in params]
    if not sources:
        sources = [s for s in ("n", "T") if s in params] or list(params)[:1]
    detail = str(exc).rstrip(".")
    return InvalidArgument(", ".join(sources), where,
                           f"give a problem that can be built ({detail})",
                           {s: params[s] for s in sources})


def _check_unused(lemmas, given: dict, key: str) -> None:
    from hyperribbon.theory.errors import InvalidArgument
    used = set()
    for lem in lemmas:
        used.update(uses(lem))
    for name, value in given.items():
        if name not in used:
            takers = ", ".join(sorted(k for k, u in USES.items() if name in u))
            if len(lemmas) == 1:
                rule = (f"be a parameter of {lemmas[0].id}, which takes "
                        f"{', '.join(uses(lemmas[0]))} (`{name}` is for {takers} problems)")
            else:
                rule = (f"be a parameter of some lemma addressed by {key!r} (`{name}` is for "
                        f"{takers} problems; none of these lemmas takes it)")
            raise InvalidArgument(name, f"verify({key!r})", rule, value)


# ---------------------------------------------------------------------------- cost estimate
def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.3g} {unit}"
        b /= 1024
    return f"{b:.3g} PiB"  # pragma: no cover


def _fmt_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.3g} days"


def _measure(lemma, problem):
    import tracemalloc
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    try:
        lemma.check(problem)
    finally:
        dt = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] - base
        if not was:
            tracemalloc.stop()
    return dt, max(peak, 0)


def estimate_cost(lemma, build, T: int) -> dict:
    """Time (s) and memory (bytes) that ``lemma.check(build(T))`` is estimated to need.

    The check is run at T = 256, 1024 and 4096 (memory traced with :mod:`tracemalloc`); a check
    whose time or memory grows with T (an iteration over t < T) is extrapolated linearly from
    the last two, one that does not is taken as it was at 4096. Timing noise cannot create a
    T-dependence: time counts as growing only if it grew more than threefold and by > 10 ms.

    Returns
    -------
    dict with ``seconds``, ``bytes``, ``scales_with_T`` (bool) and ``probes``
    [(T, seconds, bytes), ...].
    """
    probes = []
    for Tp in (256, 1024, 4096):
        probes.append((Tp, *_measure(lemma, build(Tp))))
    (T0, t0, m0), (T1, t1, m1), (T2, t2, m2) = probes
    grows_t = t2 > 3 * t0 and t2 - t0 > 0.01
    grows_m = m2 - m0 > 8 * (T2 - T0)            # more than 8 bytes per step
    st = max(t2 - t1, 0.0) / (T2 - T1) if grows_t else 0.0
    sm = max(m2 - m1, 0) / (T2 - T1) if grows_m else 0.0
    return {"seconds": t2 + st * max(T - T2, 0), "bytes": m2 + sm * max(T - T2, 0),
            "scales_with_T": bool(grows_t or grows_m), "seconds_per_step": st,
            "bytes_per_step": sm, "probes": probes}


def _feasibility(lemma, build, T: int, where: str):
    """``None`` if the check fits, else the InvalidArgument to raise/report."""
    from hyperribbon.theory.errors import HyperribbonError, InvalidArgument
    try:
        est = estimate_cost(lemma, build, T)
    except HyperribbonError:
        return None, None            # the probes' own sizes are invalid: nothing to estimate
    avail = 0.9 * _available_memory()
    if est["bytes"] > avail:
        fit = int((avail - est["probes"][-1][2]) / max(est["bytes_per_step"], 1e-300)) \
            + est["probes"][-1][0]
        return InvalidArgument("T", where,
                               f"be small enough for {lemma.id} to fit in memory: it iterates "
                               f"over t < T and would need about {_fmt_bytes(est['bytes'])} "
                               f"(available: {_fmt_bytes(avail / 0.9)}); T ≤ {fit:.3g} fits",
                               T), est
    if est["seconds"] > MAX_SECONDS:
        fit = int((MAX_SECONDS - est["probes"][-1][1]) / max(est["seconds_per_step"], 1e-300)) \
            + est["probes"][-1][0]
        return InvalidArgument("T", where,
                               f"be small enough for {lemma.id} to finish within "
                               f"{_fmt_seconds(MAX_SECONDS)}: it iterates over t < T and would "
                               f"take about {_fmt_seconds(est['seconds'])} on this machine; "
                               f"T ≤ {fit:.3g} fits", T), est
    return None, est


class _Ticker:
    """A progress line for one long check: elapsed time against the estimate (a thread)."""

    def __init__(self, label: str, estimate: float, enabled: bool):
        self.label, self.estimate, self.enabled = label, estimate, enabled
        self._stop = threading.Event()

    def __enter__(self):
        if not self.enabled:
            return self
        from tqdm.auto import tqdm
        self.bar = tqdm(total=max(1, round(self.estimate)), unit="s", leave=False,
                        desc=f"{self.label} (estimated {_fmt_seconds(self.estimate)})",
                        bar_format="{desc}: {n_fmt}/{total_fmt} s {bar}")
        self._t0 = time.time()

        def tick():
            while not self._stop.wait(0.5):
                self.bar.n = min(int(time.time() - self._t0), self.bar.total)
                self.bar.refresh()
        self._thread = threading.Thread(target=tick, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self._stop.set()
            self._thread.join()
            self.bar.close()
        return False


# ---------------------------------------------------------------------------- verify
def _not_checked(lemma, reason: str, params: dict):
    from hyperribbon.theory.verdict import Status, Verdict
    return Verdict(lemma.id, Status.NOT_APPLICABLE,
                   failed_assumptions=("its problem can be built and checked for these "
                                       "parameters",),
                   notes=(f"not checked: {reason}",), problem=dict(params))


def _relations(full: dict, owner: str):
    """Relations between parameters the problems need (checked in Python floats, before numpy
    overflows): the target and initialisation covariances σ*²λ1 and σw²λ1 must be finite."""
    from hyperribbon.theory.errors import InvalidArgument
    lam1 = full.get("lambda1")
    for name in ("sigma_star2", "sigma_w2"):
        v = full.get(name)
        if lam1 is not None and v is not None and not math.isfinite(v * lam1):
            sym = {"sigma_star2": "σ*²", "sigma_w2": "σw²"}[name]
            return InvalidArgument(f"lambda1, {name}", owner,
                                   f"give a finite variance {sym}·λ1 (the "
                                   + ("targets" if name == "sigma_star2" else "initial residuals")
                                   + " are drawn with it)", {"lambda1": lam1, name: v})
    return None


def _show(v) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(_show(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def _network_verify():
    if importlib.util.find_spec("hyperribbon.experiments.curvature") is None or \
            importlib.util.find_spec("hyperribbon.experiments.curvature.verify") is None:
        return None
    from hyperribbon.experiments.curvature.verify import verify_network
    return verify_network


def verify(key: str = "all", *, n=None, c=None, alpha=None, T=None, sigma_w2=None,
           sigma_star2=None, lambda1=None, seed=None, batch_size=None, weight_decay=None,
           slopes=None, width=None, arch=None, data=None, epochs=None,
           progress: bool | None = False) -> list:
    """Check the lemma(s) addressed by ``key`` ("all", "ch5" for one chapter, an id, a number
    such as "5.2.3" or "(5.2.10)") on the problem built from the parameters by
    :func:`problem_for`.

    Parameters left ``None`` take :data:`DEFAULTS` / :data:`VARIANT_DEFAULTS`. Chapter 4 keys
    (numbers ``4.*``) take ``arch``, ``width``, ``data``, ``epochs``, ``seed`` and are run by
    ``hyperribbon.experiments.curvature.verify.verify_network``. ``progress``: a progress bar
    over lemmas and for checks estimated to take long (``None``: only on a terminal).

    Raises
    ------
    InvalidArgument
        A parameter outside its domain (named), a parameter no addressed lemma uses, an unknown
        ``key``, or — for one lemma — a problem that cannot be built or a check that would not
        fit in memory or in :data:`MAX_SECONDS`.
    """
    from hyperribbon.theory import registry
    from hyperribbon.theory.errors import HyperribbonError, InvalidArgument
    import hyperribbon.numerics  # noqa: F401  (installs the measuring oracle)
    owner = f"verify({key!r})"
    if not isinstance(key, str) or not key.strip():
        raise InvalidArgument("key", "verify", "be 'all', a lemma id or a thesis number", key)
    given = dict(n=n, c=c, alpha=alpha, T=T, sigma_w2=sigma_w2, sigma_star2=sigma_star2,
                 lambda1=lambda1, seed=seed, batch_size=batch_size, weight_decay=weight_decay,
                 slopes=slopes, width=width, arch=arch, data=data, epochs=epochs)
    given = {k: v for k, v in given.items() if v is not None}
    try:
        lemmas = select(key)
    except InvalidArgument:
        if not (is_network_key(key) and _network_verify() is not None):
            raise
        lemmas = []                         # let the Chapter 4 runner resolve (and name) it
    if lemmas:
        _check_unused(lemmas, given, key)
    else:
        bad = sorted(set(given) - set(NETWORK_PARAMETERS))
        if bad:
            raise InvalidArgument(bad[0], owner, "be a parameter of a Chapter 4 statement "
                                  f"({', '.join(NETWORK_PARAMETERS)})", given[bad[0]])
    values = _validate(given, owner)
    if not lemmas:                                     # a Chapter 4 key not in the registry
        return _run_network(key, values, owner)
    single = len(lemmas) == 1 and not (key == "all" or re.fullmatch(r"ch\d+", key.lower()))
    merged = {**DEFAULTS, **values}
    err = _relations(merged, owner)           # flags invalid together: for every lemma alike
    if err is not None and any("lambda1" in uses(lem) for lem in lemmas):
        raise err
    bar = None
    if progress is not False and len(lemmas) > 1:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(lemmas), unit="lemma", desc="verify", leave=False,
                   disable=None if progress is None else False)
    out = []
    try:
        for lem in lemmas:
            if bar is not None:
                bar.set_postfix_str(lem.id)
            out.extend(_verify_one(lem, values, single, owner, progress))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return out


def _run_network(key, values, owner):
    from hyperribbon.theory.errors import InvalidArgument
    fn = _network_verify()
    if fn is None:
        raise InvalidArgument("key", owner, "address a registered lemma (Chapter 4 statements "
                              "need hyperribbon.experiments.curvature, not installed here)", key)
    kw = {k: values[k] for k in NETWORK_PARAMETERS if k in values}
    kw.setdefault("seed", DEFAULTS["seed"])
    res = fn(key, **kw)
    return list(res) if isinstance(res, (list, tuple)) else [res]


def _verify_one(lem, values: dict, single: bool, owner: str, progress) -> list:
    from hyperribbon.theory.errors import HyperribbonError
    mine = {k: v for k, v in values.items() if k in uses(lem)}
    if _kind(lem) == "network":
        try:
            return _run_network(lem.id, mine, owner)
        except HyperribbonError as exc:
            if single:
                raise
            return [_not_checked(lem, str(exc), mine)]
    if _kind(lem) not in USES:
        from hyperribbon.theory.errors import InvalidArgument
        err = InvalidArgument("key", owner, "address a lemma whose problem type verify can build "
                              f"({', '.join(k for k in USES if k != 'network')}, "
                              f"NetworkProblem); {lem.id} takes a {_kind(lem)}", lem.id)
        if single:
            raise err
        return [_not_checked(lem, f"verify builds no {_kind(lem)} (check it from Python with "
                             "its own problem)", {})]
    full = {k: mine.get(k, DEFAULTS.get(k, VARIANT_DEFAULTS.get(k))) for k in uses(lem)}

    err = _relations(full, owner)
    if err is not None:
        if single:
            raise err
        return [_not_checked(lem, str(err), full)]

    def build(T_=None):
        p = dict(full)
        if T_ is not None and "T" in p:
            p["T"] = T_
        return problem_for(lem, **p)

    try:
        problem = build()
    except HyperribbonError as exc:
        err = _reblame(exc, full, owner)
        if single:
            raise err from None
        src = ", ".join(f"{a} = {_show(full.get(a))}" for a in str(err.argument).split(", ")
                        if a in full)
        return [_not_checked(lem, f"its problem cannot be built from {src}: {exc}", full)]
    est = None
    if "T" in full and full["T"] > PROBE_ABOVE_T:
        err, est = _feasibility(lem, build, full["T"], owner)
        if err is not None:
            if single:
                raise err
            return [_not_checked(lem, str(err), full)]
    long = est is not None and est["seconds"] > 5
    with _Ticker(lem.id, est["seconds"] if est else 0.0, bool(progress is not False and long)):
        return [lem.check(problem)]


def errata_rows() -> list[dict]:
    """The regenerated errata table (see :mod:`hyperribbon.theory.errata`)."""
    from hyperribbon.theory import errata as _errata
    return _errata.regenerate()

