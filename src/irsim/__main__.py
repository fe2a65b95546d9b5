"""`python -m irsim ...`: the irsim command line (the same as the `irsim` command)."""

from .interfaces.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
