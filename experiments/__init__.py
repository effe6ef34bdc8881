"""hyperribbon.experiments: reproductions, demos and the command-line interface."""
__all__: list[str] = []
