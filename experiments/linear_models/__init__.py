"""Chapter 5 experiments: the demo (Fig 5.2 setting), ``reproduce fig5.1``–``fig5.5``, phase
diagrams of hyper-ribbon dimensionality and ``sgd-compare``. Modules are imported on use (they
import matplotlib)."""
__all__ = ["cli_figures", "demo", "phase_diagram", "reproduce", "sgd_compare"]
