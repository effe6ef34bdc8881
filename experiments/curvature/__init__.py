"""hyperribbon.experiments.curvature: the Chapter 4 experiments (sloppy spectra of trained
networks, PAC-Bayes bounds, reproductions of Figs 4.1, 4.2, 4.3 and 4.11).

torch and matplotlib are imported inside the functions, so importing this package is cheap.
"""
__all__: list[str] = []
