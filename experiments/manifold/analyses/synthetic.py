r"""Why is the manifold low-dimensional? Sloppy vs non-sloppy inputs and training from corners
(thesis §2.5.5, Figs 2.26–2.28; analysis 12). Trains its own networks.

Inputs :math:`x\sim\mathcal N(0,\mathrm{diag}(\lambda))`, :math:`\lambda_i = 50c\,e^{-ci}`, labelled
by a random one-hidden-layer teacher (:func:`hyperribbon.experiments.networks.sloppy_gaussian`);
c = 0.5 is "sloppy", c = 0.001 "effectively non-sloppy" (the thesis's two values). Students:
fully connected networks with one and two hidden layers, SGD and Nesterov, several seeds; the
explained stress (eq. 2.2.8) of the InPCA of all their checkpoints (with :math:`P_0`,
:math:`P_*`) is reported for both inputs, on train and test samples (thesis: 99% in 10
dimensions, slightly lower for sloppy inputs).

Corners (Fig. 2.27): one-hidden-layer students started near a corner of the simplex
(:func:`hyperribbon.experiments.networks.corner_init`). A fixed number of trajectories is split
over 1, 2, 3 or 4 corners and embedded together; the initial models of all corner runs (and the
models a few percent into training) give the spectra of Fig. 2.28.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ._io import fmt, pct
from .embedding import fit_inpca
from .predictions import Predictions
from .result import AnalysisResult

__all__ = ["synthetic_manifolds", "SYNTHETIC_DEFAULTS", "SYNTHETIC_QUICK"]

SYNTHETIC_DEFAULTS = dict(n_train=2000, n_test=500, d=200, classes=5, slopes=(0.5, 0.001),
                          archs=("fc1", "fc2"), width=256, optimizers=("sgd", "nesterov"),
                          seeds=3, epochs=20.0, batch_size=100, lr=0.05, checkpoints=16,
                          corners=(1, 2, 3, 4), corner_pool=12)
SYNTHETIC_QUICK = dict(n_train=500, n_test=200, d=50, classes=5, slopes=(0.5, 0.001),
                       archs=("fc1", "fc2"), width=64, optimizers=("sgd", "nesterov"), seeds=2,
                       epochs=8.0, batch_size=50, lr=0.05, checkpoints=8,
                       corners=(1, 2, 3, 4), corner_pool=12)
DIMS = (1, 2, 3, 5, 10, 25)


def _name(c):
    return "sloppy" if c is not None and c >= 0.1 else "non-sloppy"


def _stress(pr, dims):
    est = fit_inpca(pr)
    ex = est.explained_stress_
    return est, {int(d): (float(ex[d - 1]) if d <= ex.size else None) for d in dims}


def synthetic_manifolds(*, quick: bool = False, seed: int = 0, dims=DIMS,
                        show_progress: bool = True, number: int = 12, **settings
                        ) -> AnalysisResult:
    r"""Explained stress for sloppy vs non-sloppy inputs and for 1–4 starting corners.

    Parameters
    ----------
    quick : bool
        Use :data:`SYNTHETIC_QUICK` (about a minute on one idle core) instead of
        :data:`SYNTHETIC_DEFAULTS`.
    seed : int
        Seeds the data, the teacher and (offset) the students.
    **settings
        Override any key of the defaults (``n_train``, ``d``, ``slopes``, ``archs``, ``width``,
        ``optimizers``, ``seeds``, ``epochs``, ``batch_size``, ``lr``, ``checkpoints``,
        ``corners``, ``corner_pool``).
    """
    from hyperribbon.experiments.networks import TrainConfig, sloppy_gaussian
    from hyperribbon.theory import InvalidArgument

    from ._training import train_runs

    base = dict(SYNTHETIC_QUICK if quick else SYNTHETIC_DEFAULTS)
    unknown = set(settings) - set(base)
    if unknown:
        raise InvalidArgument("settings", "synthetic_manifolds", "use keys of SYNTHETIC_DEFAULTS "
                              f"({', '.join(base)})", sorted(unknown))
    S = {**base, **settings}
    corners = tuple(int(n) for n in S["corners"])
    numbers = {"settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in S.items()},
               "seed": seed, "explained_stress": {}, "corners": {}, "initial_spectrum": {}}
    rows, curves, corner_curves, figures, embeds = [], {}, {}, {}, {}
    spectra, stacks = {}, {}
    for c in S["slopes"]:
        name = _name(c)
        data = sloppy_gaussian(n_train=S["n_train"], n_test=S["n_test"], d=S["d"], c=c,
                               classes=S["classes"], seed=seed)
        jobs = [(TrainConfig(arch=a, width=S["width"], optimizer=o, lr=S["lr"],
                             batch_size=S["batch_size"], epochs=S["epochs"],
                             checkpoints=S["checkpoints"], seed=1000 + s),
                 {"arch": a, "optimizer": o})
                for a, o, s in itertools.product(S["archs"], S["optimizers"], range(S["seeds"]))]
        runs = train_runs(jobs, data, desc=f"students, {name} inputs",
                          show_progress=show_progress)
        numbers["explained_stress"][name] = {"c": c}
        for split in ("train", "test"):
            pr = Predictions(runs[split], runs["meta"], getattr(data, f"y_{split}"), split=split)
            stacks[(name, split)] = pr
            est, st = _stress(pr, dims)
            numbers["explained_stress"][name][split] = st
            numbers["explained_stress"][name][f"final_{split}_error_median"] = float(
                np.median([pr.errors[idx[-1]] for idx in pr.runs.values()]))
            curves[f"{name} (c={c}), {split}"] = (np.arange(1, est.explained_stress_.size + 1),
                                                   est.explained_stress_)
            for d, v in st.items():
                rows.append({"inputs": name, "c": c, "split": split, "dims": d,
                             "explained_stress": v, "corners": 0})
            if split == "train":
                embeds[name] = (est, pr)
        # ---------------------------------------------------------------- corners
        pool = {k: S["corner_pool"] // (k + 1) for k in range(max(corners))}
        cjobs = []
        for k, count in pool.items():
            for j in range(count):
                cjobs.append((TrainConfig(arch="fc1", width=S["width"],
                                          optimizer=S["optimizers"][j % len(S["optimizers"])],
                                          lr=S["lr"], batch_size=S["batch_size"],
                                          epochs=S["epochs"], checkpoints=S["checkpoints"],
                                          seed=2000 + 100 * k + j, corner=k),
                              {"corner": k, "member": j}))
        cr = train_runs(cjobs, data, desc=f"corners, {name} inputs", show_progress=show_progress)
        cmeta = cr["meta"]
        numbers["corners"][name] = {}
        for n in corners:
            per = S["corner_pool"] // n
            keep = ((cmeta["corner"] < n) & (cmeta["member"] < per)).to_numpy()
            pr = Predictions(cr["train"][keep], cmeta[keep], data.y_train, split="train")
            stacks[(name, f"corners{n}")] = pr
            est, st = _stress(pr, dims)
            numbers["corners"][name][n] = {"trajectories_per_corner": per, "explained_stress": st}
            corner_curves[f"{name}, {n} corner(s) × {per}"] = (
                np.arange(1, est.explained_stress_.size + 1), est.explained_stress_)
            for d, v in st.items():
                rows.append({"inputs": name, "c": c, "split": "train", "dims": d,
                             "explained_stress": v, "corners": n})
            if n == max(corners):
                embeds[f"{name}_corners"] = (est, pr)
        for label, k in (("initial", 0), ("early", 1)):
            sel = (cmeta["checkpoint"] == k).to_numpy()
            if sel.sum() >= 3:
                pr0 = Predictions(cr["train"][sel], cmeta[sel], data.y_train)
                est0 = fit_inpca(pr0)
                spectra[f"{name}, {label} models (checkpoint {k})"] = est0.eigenvalues_
                numbers["initial_spectrum"].setdefault(name, {})[label] = {
                    "checkpoint": k, "n_models": int(sel.sum()),
                    "explained_stress_3": float(est0.explained_stress_[min(3, len(
                        est0.explained_stress_)) - 1])}
    table = pd.DataFrame(rows)
    from .. import plots
    figures["explained_stress"] = lambda: plots.plot_explained_stress(
        curves, marks=(3, 10), reference={"thesis (§2.5.5)": ([10], [0.99])},
        title="Synthetic students: explained stress by input spectrum")
    figures["corners"] = lambda: plots.plot_explained_stress(
        corner_curves, marks=(3, 10), title="Trajectories from 1–4 corners (fixed total)")
    for key, (est, pr) in embeds.items():
        col = "corner" if key.endswith("corners") else "arch"
        m = pr.m
        X = est.embedding_

        def f(X=X, est=est, pr=pr, col=col, key=key, m=m):
            return plots.plot_embedding_3d(
                X[:m], pr.meta[col].to_numpy(), colour_name=col, signs=est.signs_,
                explained=float(est.explained_stress_[min(3, len(est.explained_stress_)) - 1]),
                marks={"$P_0$": X[m], "$P_*$": X[m + 1]}, title=f"Synthetic, {key.replace('_', ', ')}: "
                f"{m} train models")
        figures[f"embedding_{key}"] = f

    def fig_spectra():
        fig = plots.plot_curves(None, {k: (np.arange(1, v.size + 1), np.abs(v))
                                       for k, v in spectra.items()},
                                xlabel="rank k", ylabel=r"$|\Lambda_k|$", logy=True,
                                title="InPCA spectra of the corner runs' early models (Fig. 2.28)")
        fig.axes[0].set_xscale("log")
        return fig
    if spectra:
        figures["early_spectra"] = fig_spectra
    return AnalysisResult(key=f"a{number:02d}_synthetic", number=number,
                          title="Synthetic inputs: sloppy vs non-sloppy, training from corners",
                          numbers=numbers, tables={"explained_stress": table}, figures=figures,
                          markdown=_markdown(numbers, corners), data={"predictions": stacks})


def _markdown(n, corners):
    parts = []
    es = n["explained_stress"]
    for name, v in es.items():
        tr, te = v["train"], v["test"]
        parts.append(f"{name.capitalize()} inputs (c = {v['c']}): explained stress in 3 / 10 "
                     f"dimensions {pct(tr.get(3))} / {pct(tr.get(10))} on train, "
                     f"{pct(te.get(3))} / {pct(te.get(10))} on test (median final train error "
                     f"{pct(v['final_train_error_median'])}).")
    names = list(es)
    if len(names) == 2 and all(es[k]["train"].get(10) is not None for k in names):
        a, b = names
        hi = a if es[a]["train"][10] > es[b]["train"][10] else b
        parts.append(f"In 10 dimensions the {hi} inputs give the higher train explained stress "
                     f"(difference {fmt(abs(es[a]['train'][10] - es[b]['train'][10]))}).")
    for name, byn in n["corners"].items():
        vals = [(k, v["explained_stress"].get(3), v["trajectories_per_corner"])
                for k, v in byn.items()]
        parts.append(f"{name.capitalize()}, trajectories from several corners, explained stress "
                     "in 3 dimensions: " + ", ".join(f"{k} corner(s) ({t} each) {pct(v)}"
                                                     for k, v, t in vals) + ".")
    for name, d in n["initial_spectrum"].items():
        parts.append(f"{name.capitalize()}: the initial corner models alone have "
                     + ", ".join(f"{pct(v['explained_stress_3'])} ({lab}, {v['n_models']} models)"
                                 for lab, v in d.items())
                     + " explained stress in 3 dimensions.")
    return " ".join(parts)
