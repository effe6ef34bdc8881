"""hyperribbon.numerics: exact engines, accurate spectra, simulators."""
__all__: list[str] = []
