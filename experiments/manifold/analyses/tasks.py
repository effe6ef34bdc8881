r"""Chapter 3 at CPU scale: the manifold of models trained on different sub-tasks of the digits
(thesis §3.2, Result 1, Result 2, Fig. 3.1–3.2, Remark 3.3.3; analysis 13). Trains its own
networks.

Every sub-task (a group of digit classes, :func:`hyperribbon.experiments.networks.subtask`) is
learnt by networks from several seeds. At every checkpoint the penultimate features
:math:`\varphi(x; w_1)` (the input of the last linear layer) are recorded on all train and test
digits, and the model is mapped to the union task :math:`P^U` (all 10 classes) by imprinting
(eq. 3.2.1; :func:`hyperribbon.numerics.imprint`): class c's classifier row is the normalised sum of
the features of the *train* digits of class c, and the mapped model predicts on the *test* digits
(Remark 3.3.1: the analysis uses test data). Reported:

* Result 1 — InPCA of all mapped models of all tasks (with :math:`P_0`, :math:`P_*` of
  :math:`P^U`): explained stress (thesis: 80.02% in 3 dimensions for 2430 ImageNet models), with
  each task's mean trajectory (seed mean at equal progress) drawn bold;
* Result 2 — progress on :math:`P^U` (eq. 2.2.4) of each task along training, its final value as
  a fraction of the full task's, and the per-class progress :math:`t^c_w` (progress restricted to
  the test digits of class c) on classes seen vs not seen during training (Fig. 3.2a);
* the distance between each task's mean trajectory and the full task's, normalised by the tube
  radii, :math:`2d_B(\mu_1,\mu_2)/(r_1+r_2)` (Remark 3.3.3).
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from hyperribbon.numerics import distance, imprint, mean_trajectory, progress as _progress

from ._io import fmt, pct
from ._logdomain import pairwise_log_distances
from .embedding import fit_inpca
from .predictions import Predictions
from .result import AnalysisResult
from .trajectories import reindex_runs

__all__ = ["task_manifold", "TASKS_DEFAULTS", "TASKS_QUICK"]

TASKS_DEFAULTS = dict(tasks={"0-4": (0, 1, 2, 3, 4), "5-9": (5, 6, 7, 8, 9),
                             "even": (0, 2, 4, 6, 8), "odd": (1, 3, 5, 7, 9),
                             "loops 0,6,8,9": (0, 6, 8, 9), "1,4,7": (1, 4, 7),
                             "all": tuple(range(10))},
                      arch="fc2", width=128, optimizer="nesterov", batch_size=64, lr=None,
                      epochs=20.0, seeds=5, checkpoints=16)
TASKS_QUICK = dict(tasks={"0-4": (0, 1, 2, 3, 4), "5-9": (5, 6, 7, 8, 9),
                          "even": (0, 2, 4, 6, 8), "all": tuple(range(10))},
                   arch="fc2", width=64, optimizer="nesterov", batch_size=64, lr=None,
                   epochs=10.0, seeds=2, checkpoints=10)
DIMS = (1, 2, 3, 5, 10, 25)


def _features_recorder(model):
    from ._training import last_linear
    layer = last_linear(model)
    box = {}

    def hook(_mod, inputs, _out):
        box["phi"] = inputs[0].detach()

    layer.register_forward_hook(hook)

    def features(x):
        import torch
        was = model.training
        model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, x.shape[0], 2048):
                model(torch.from_numpy(x[i:i + 2048]))
                out.append(box["phi"].double().numpy())
        model.train(was)
        return np.concatenate(out)

    return features


def task_manifold(*, quick: bool = False, seed: int = 0, dims=DIMS, n_grid: int = 21,
                  show_progress: bool = True, number: int = 13, **settings) -> AnalysisResult:
    r"""Sub-tasks of the digits mapped to all digits by imprinting (Result 1–2, Fig. 3.2).

    Parameters
    ----------
    quick : bool
        :data:`TASKS_QUICK` (4 tasks, 2 seeds) instead of :data:`TASKS_DEFAULTS`.
    seed : int
        Split seed of the digits; students use seeds ``1000 + s``.
    **settings
        Override keys of the defaults: ``tasks`` ({name: classes}), ``arch``, ``width``,
        ``optimizer``, ``batch_size``, ``lr``, ``epochs``, ``seeds``, ``checkpoints``.
    """
    from hyperribbon.experiments.networks import TrainConfig, digits, prepare_model, subtask, train
    from hyperribbon.theory import InvalidArgument
    from tqdm.auto import tqdm

    from ._training import torch_threads

    base = dict(TASKS_QUICK if quick else TASKS_DEFAULTS)
    unknown = set(settings) - set(base)
    if unknown:
        raise InvalidArgument("settings", "task_manifold", "use keys of TASKS_DEFAULTS "
                              f"({', '.join(base)})", sorted(unknown))
    S = {**base, **settings}
    union = digits(seed=seed)
    C = union.classes
    full_name = next((k for k, v in S["tasks"].items() if len(v) == C), None)
    mapped, rows = [], []
    jobs = list(itertools.product(S["tasks"].items(), range(S["seeds"])))
    run = 0
    with torch_threads(1):
        for (task, classes), s in tqdm(jobs, desc="sub-task runs", leave=False,
                                       disable=not show_progress):
            data = subtask(union, classes, name=task)
            cfg = TrainConfig(arch=S["arch"], width=S["width"], optimizer=S["optimizer"],
                              lr=S["lr"], batch_size=S["batch_size"], epochs=S["epochs"],
                              checkpoints=S["checkpoints"], seed=1000 + s)
            model = prepare_model(cfg, data)
            feats = _features_recorder(model)

            def on_checkpoint(rec, task=task, s=s, run=run, classes=classes):
                phi_tr, phi_te = feats(union.x_train), feats(union.x_test)
                mapped.append(imprint(phi_tr, union.y_train, C, eval_features=phi_te,
                                      log=True))
                rows.append({"run": run, "task": task, "n_classes": len(classes), "seed": s,
                             "checkpoint": rec.index, "step": rec.step, "epoch": rec.epoch,
                             "own_train_error": rec.train_error, "own_test_error":
                             rec.test_error})

            train(cfg, data, model=model, on_checkpoint=on_checkpoint)
            run += 1
    meta = pd.DataFrame(rows)
    pr = Predictions(np.stack(mapped), meta, union.y_test, split="test")
    est = fit_inpca(pr)
    ex = est.explained_stress_
    stress = {int(d): (float(ex[d - 1]) if d <= ex.size else None) for d in dims}
    s_all = pr.progress
    meta = meta.assign(progress_union=s_all, error_union=pr.errors)
    # ---------------------------------------------------------- Result 2: progress per task
    last = meta.loc[meta.groupby("run")["checkpoint"].idxmax()]
    final = last.groupby("task", sort=False)["progress_union"].mean()
    ref = float(final[full_name]) if full_name in final.index else None
    per_class = []
    As = pr.log_truth()
    y = union.y_test
    for _, r in last.iterrows():
        i = int(r.name)
        A = pr.logp[i]
        for c in range(C):
            sel = y == c
            per_class.append({"task": r["task"], "seed": r["seed"], "class": c,
                              "seen": c in S["tasks"][r["task"]],
                              "progress": float(_progress(A[sel], As[sel], log=True))})
    pc = pd.DataFrame(per_class)
    seen = pc.groupby(["task", "seen"])["progress"].mean().unstack()
    # ---------------------------------------------------------- mean trajectories and tubes
    R = reindex_runs(pr, n_grid=n_grid, max_final_error=None)
    task_of_run = np.array([meta.loc[meta.run == r, "task"].iloc[0] for r in R["runs"]])
    means, radii = {}, {}
    for t in S["tasks"]:
        sel = np.flatnonzero(task_of_run == t)
        means[t] = mean_trajectory(R["trajectories"][sel], log=True)
        radii[t] = np.max(np.stack([np.atleast_1d(distance(R["trajectories"][i], means[t],
                                                           log=True))
                                    for i in sel]), axis=0)
    normalised = {}
    if full_name is not None:
        for t in S["tasks"]:
            if t != full_name:
                d = np.atleast_1d(distance(means[t], means[full_name], log=True))
                with np.errstate(divide="ignore", invalid="ignore"):
                    normalised[t] = 2 * d / (radii[t] + radii[full_name])
    fitted = np.concatenate([pr.logp, pr.log_ignorance()[None], pr.log_truth()[None]])
    mean_xy = {}
    for t, M in means.items():
        mean_xy[t] = est.transform(pairwise_log_distances(M, fitted))
    numbers = {"settings": {k: ({kk: list(vv) for kk, vv in v.items()} if k == "tasks" else v)
                            for k, v in S.items()},
               "m_models": pr.m, "n_test_samples": pr.n_samples, "explained_stress": stress,
               "signature_top3": [int(np.sum(est.eigenvalues_[:3] > 0)),
                                  int(np.sum(est.eigenvalues_[:3] < 0))],
               "final_progress": {k: float(v) for k, v in final.items()},
               "full_task": full_name,
               "final_progress_relative_to_full": ({k: float(v) / ref for k, v in final.items()}
                                                   if ref else None),
               "per_class_progress_seen": {k: (None if pd.isna(v) else float(v))
                                           for k, v in seen.get(True, pd.Series()).items()},
               "per_class_progress_unseen": {k: (None if pd.isna(v) else float(v))
                                             for k, v in seen.get(False, pd.Series()).items()},
               "grid": [float(R["grid"][0]), float(R["grid"][-1])],
               "normalised_distance_to_full": {k: v.tolist() for k, v in normalised.items()}}
    from .. import plots
    X = est.embedding_
    m = pr.m
    tasks_col = meta["task"].to_numpy()

    def fig_embed():
        return plots.plot_embedding_3d(
            X[:m], tasks_col, colour_name="task", signs=est.signs_, explained=float(ex[min(3, ex.size) - 1]),
            marks={"$P_0$": X[m], "$P_*$": X[m + 1]}, curves=mean_xy,
            title=f"{m} models of {len(S['tasks'])} digit tasks mapped to all digits (imprinting)")

    def fig_progress():
        curves = {}
        for t, g in meta.groupby("task", sort=False):
            mg = g.groupby("epoch")["progress_union"].mean()
            curves[t] = (mg.index.to_numpy(), mg.to_numpy())
        return plots.plot_curves(None, curves, xlabel="epoch (of its own task)",
                                 ylabel="progress on all digits (test, eq. 2.2.4)",
                                 styles={t: "-o" for t in curves}, legend_title="trained on",
                                 title="Progress on the union task (seed mean, Fig. 3.2b)")

    def fig_seen():
        t = seen.rename(columns={True: "seen classes", False: "unseen classes"})
        t.columns.name = "classes"
        return plots.plot_counts(t, xlabel="trained on", ylabel="mean per-class progress $t_w^c$",
                                 title="Per-class progress at the end, seen vs unseen classes "
                                       "(Fig. 3.2a)")

    figures = {"embedding3d": fig_embed, "progress": fig_progress, "seen_unseen": fig_seen,
               "explained_stress": lambda: plots.plot_explained_stress(
                   {"all tasks, mapped": (np.arange(1, ex.size + 1), ex)}, marks=dims,
                   reference={"thesis, ImageNet (3 dims)": ([3], [0.8002])},
                   title="Explained stress of the task manifold")}
    if normalised:
        figures["normalised_distance"] = lambda: plots.plot_curves(
            R["grid"], normalised, xlabel="progress $s$ on all digits",
            ylabel=r"$2d_B(\mu_t,\mu_{all})/(r_t+r_{all})$", hline=1.0,
            hline_label="tubes touch", legend_title="task",
            title=f"Distance of each task's mean trajectory to '{full_name}' (Remark 3.3.3)")
    tables = {"models": meta, "per_class_progress": pc}
    return AnalysisResult(key=f"a{number:02d}_tasks", number=number,
                          title="Chapter 3: the manifold of digit sub-tasks", numbers=numbers,
                          tables=tables, figures=figures, markdown=_markdown(numbers),
                          data={"predictions": pr})


def _markdown(n):
    parts = [f"{n['m_models']} checkpoints of networks trained on "
             f"{len(n['settings']['tasks'])} digit tasks ("
             + "; ".join(f"{k}: {','.join(map(str, v))}" for k, v in n["settings"]["tasks"].items())
             + f") were mapped to all 10 digits by imprinting and embedded with InPCA on "
             f"{n['n_test_samples']} test digits."]
    st = n["explained_stress"]
    parts.append("Explained stress in " + ", ".join(f"{d}: {pct(v)}" for d, v in st.items()
                                                   if v is not None) + " dimensions.")
    fp = n["final_progress"]
    parts.append("Final progress on all digits (seed mean): "
                 + ", ".join(f"{k} {fmt(v)}" for k, v in fp.items()) + ".")
    rel = n["final_progress_relative_to_full"]
    if rel:
        parts.append(f"Relative to the model trained on '{n['full_task']}': "
                     + ", ".join(f"{k} {pct(v)}" for k, v in rel.items() if k != n["full_task"])
                     + ".")
    seen, unseen = n["per_class_progress_seen"], n["per_class_progress_unseen"]
    both = [k for k in seen if unseen.get(k) is not None]
    if both:
        more = sum(seen[k] > unseen[k] for k in both)
        parts.append(f"Per-class progress is higher on seen than on unseen classes for {more} of "
                     f"{len(both)} sub-tasks ("
                     + ", ".join(f"{k}: {fmt(seen[k])} vs {fmt(unseen[k])}" for k in both) + ").")
    for t, v in n["normalised_distance_to_full"].items():
        v = np.asarray(v, dtype=float)
        parts.append(f"Mean trajectory of {t} vs {n['full_task']}: normalised distance "
                     f"{fmt(np.nanmin(v))}–{fmt(np.nanmax(v))} over progress "
                     f"[{fmt(n['grid'][0])}, {fmt(n['grid'][1])}], tubes intersecting on "
                     f"{pct(float(np.mean(v < 1)))} of it.")
    return " ".join(parts)
