r"""Chapter 4 lemmas checked on a *trained* network (``hyperribbon verify 4.3.1 --arch fc ...``).

:func:`network_problem` trains a small fully connected network on a bundled data set (cached,
see :mod:`hyperribbon.experiments.curvature.models`) and returns the
:class:`~hyperribbon.theory.networks.NetworkProblem` of §4.3.1 built from its weights, the
training inputs and the training labels; :func:`verify_network` checks one lemma (or every
Chapter 4 lemma) on it.

The statements of §4.3.1 are about networks :math:`h^{k} = \sigma(w^{k-1}h^{k-1})`,
:math:`z = w^L h^L` without batch norm and with the bias terms set to zero ("For the sake of
exposition, we set all the bias terms to zero"). So a family name maps to its plain counterpart
(:data:`~hyperribbon.experiments.curvature.models.PLAIN_OF`: ``fc`` → four hidden ReLU layers
``[w, w/2, w/4, w/8]``, ``fc1`` → one, ``fc2`` → two hidden layers of width ``w``) trained
without biases; ``bias=True`` keeps them, and the lemmas then answer *not applicable*, naming
the assumption. Convolutional and attention families are not networks of §4.3.1 and raise
:class:`~hyperribbon.theory.InvalidArgument`.

The expectation :math:`\mathbb E` of the statements is the empirical distribution of the inputs
used (§4.7.3: any distribution of x is allowed); ``samples`` (default 256) restricts it to the
first ``samples`` training inputs (in the split's order) to bound the cost of the dense
measurements (memory ∝ n·p·width).
"""
from __future__ import annotations

import numpy as np

from hyperribbon.theory import InvalidArgument

from ._runtime import torch_threads
from .models import DATA_NAMES, PLAIN_OF, trained_network

__all__ = ["NETWORK_DEFAULTS", "network_problem", "verify_network", "chapter4_lemmas"]

#: Defaults of ``hyperribbon verify <4.x.y>``: a four-hidden-layer ReLU network of width 64 on
#: the digits, 20 epochs of Adam (our choices; the thesis uses FC-600-2 on MNIST for 30 epochs),
#: the expectation over the first 256 training inputs (the dense measurements of
#: ``hyperribbon.theory.networks.measure`` need memory ∝ n·p·width: 1.7 GB here, 18 GB for all
#: 1347 digits).
NETWORK_DEFAULTS = dict(arch="fc", width=64, data="digits", epochs=20, seed=0, samples=256,
                        bias=False)


def network_problem(arch: str = "fc", width: int = 64, data: str = "digits", epochs: float = 20,
                    seed: int = 0, *, samples: int | None = 256, bias: bool = False,
                    cache=None, progress: bool = False):
    """Train (or load) a fully connected network and return its ``NetworkProblem``.

    Parameters
    ----------
    arch : {"fc", "fc1", "fc2", "mlp", "mlp1", "mlp2"}
        Fully connected family (mapped to its batch-norm-free counterpart, see module docstring).
    width : int
        Width parameter of the family.
    data : {"digits", "digits-binary", "sloppy", "isotropic"}
    epochs : float ≥ 0
        Training length (0: the network at initialisation).
    seed : int
        Initialisation, batch order and (synthetic data) sampling.
    samples : int or None
        Use the first ``samples`` training inputs (default 256; None: all).
    bias : bool
        Train with bias vectors (default False, as §4.3.1 assumes).
    cache : path, False or None
        Cache folder of trained networks (None: ``~/.cache/hyperribbon/curvature``).

    Returns
    -------
    NetworkProblem
        ``source`` records the run; the training metrics are in ``problem.__dict__["run"]``.

    Raises
    ------
    InvalidArgument
        A non-fully-connected ``arch``, an unknown ``data``, bad sizes.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = network_problem("fc1", width=8, data="digits-binary", epochs=0, samples=50,
    ...                         cache=tmp)          # epochs=0: the network at initialisation
    >>> p.widths, p.n, p.biases_zero
    ((64, 8, 2), 50, True)
    """
    owner = "network_problem"
    if arch not in PLAIN_OF:
        raise InvalidArgument("arch", owner, "be a fully connected family "
                              f"{tuple(PLAIN_OF)} (the networks of thesis §4.3.1)", arch)
    if data not in DATA_NAMES:
        raise InvalidArgument("data", owner, f"be one of {DATA_NAMES}", data)
    if samples is not None and (not isinstance(samples, (int, np.integer))
                                or isinstance(samples, bool) or samples < 1):
        raise InvalidArgument("samples", owner, "be a positive integer or None", samples)
    from hyperribbon.theory.networks import NetworkProblem
    with torch_threads(1):
        net = trained_network(PLAIN_OF[arch], width, data, epochs, seed, bias=bias, cache=cache,
                              progress=progress)
    ds = net.data
    X = ds.x_train.reshape(ds.n_train, -1)
    y = ds.y_train
    if samples is not None:
        if samples > ds.n_train:
            raise InvalidArgument("samples", owner, f"be at most the {ds.n_train} training "
                                  "samples", samples)
        X, y = X[:samples], y[:samples]
    problem = NetworkProblem.from_model(net.model, X, y)
    run = {**net.params, "samples": int(X.shape[0]), "from_cache": net.from_cache,
           **{f"final_{k}": v for k, v in net.metrics.items()}}
    problem = problem.replace(
        seed=int(seed),
        source=f"{arch} (plain {PLAIN_OF[arch]}, {'with' if bias else 'no'} biases) width "
               f"{width} on {data}, {epochs:g} epochs, n = {X.shape[0]}")
    problem.__dict__["run"] = run
    return problem


def chapter4_lemmas() -> list:
    """Every registered lemma whose problem type is ``NetworkProblem`` (thesis order)."""
    from hyperribbon.theory import registry
    from hyperribbon.theory.networks import NetworkProblem
    return [lem for lem in registry.all_lemmas() if lem.problem_type is NetworkProblem]


def verify_network(key: str = "all", **options) -> list:
    """Check lemma ``key`` (a Chapter 4 number such as "4.3.1", an id, or "all") on
    :func:`network_problem` ``(**options)``.

    Returns
    -------
    list of Verdict
        One per lemma checked.

    Raises
    ------
    InvalidArgument
        ``key`` does not address a lemma about networks, or bad ``options``: ``width``,
        ``epochs`` and ``seed`` are checked against the same declared domains as in
        :func:`hyperribbon.experiments.verify.verify` (``epochs`` an integer ≥ 1: a lemma is
        verified on a trained network; :func:`network_problem` itself also takes
        ``epochs=0``), ``bias`` must be a boolean.
    """
    from hyperribbon.theory import registry
    from hyperribbon.theory.networks import NetworkProblem
    unknown = set(options) - {"arch", "width", "data", "epochs", "seed", "samples", "bias",
                              "cache", "progress"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidArgument(name, "verify_network",
                              "be an option of network_problem (arch, width, data, epochs, seed, "
                              "samples, bias, cache, progress)", options[name])
    # the numeric options go through the declared domains of `hyperribbon verify` (one rule
    # for the Python call and the command line: epochs an integer in [1, LIMITS['epochs']], ...)
    from hyperribbon.experiments.verify import _validate
    owner = f"verify_network({key!r})"
    given = {k: options[k] for k in ("arch", "width", "data", "epochs", "seed")
             if options.get(k) is not None}
    options = {**options, **_validate(given, owner)}
    for name in ("bias", "progress"):
        if name in options and not isinstance(options[name], (bool, np.bool_)) and \
                not (name == "progress" and options[name] is None):
            raise InvalidArgument(name, owner, "be True or False", options[name])
    if key == "all":
        lemmas = chapter4_lemmas()
    else:
        lemma = registry.get(key)
        if lemma.problem_type is not NetworkProblem:
            raise InvalidArgument("key", "verify_network",
                                  "address a Chapter 4 lemma about networks (problem type "
                                  f"NetworkProblem, not {lemma.problem_type.__name__})", key)
        lemmas = [lemma]
    opts = {**NETWORK_DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    key_opts = tuple(sorted((k, str(v)) for k, v in opts.items() if k != "progress"))
    if _LAST[0] is not None and _LAST[0][0] == key_opts:
        problem = _LAST[0][1]           # the same problem: its dense measurements are reused
    else:
        _LAST[0] = None
        problem = network_problem(**opts)
        _LAST[0] = (key_opts, problem)
    with torch_threads(1):
        return [lem.check(problem) for lem in lemmas]


#: The last problem built by :func:`verify_network` (``hyperribbon verify all`` checks every
#: Chapter 4 lemma one call at a time: the network, its problem and the measurements cached on
#: it are built once).
_LAST: list = [None]
