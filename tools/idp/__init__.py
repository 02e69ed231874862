"""The `idp` command: the local run and the helpers the GitHub workflows call."""

__version__ = "0.1.0"
