"""`python -m irsim.validation [--quick] [--only NAME] [--out docs/validation.md] [--seed N]`: the same as
`irsim validate`, for use before the command is registered in the main CLI."""

import typer

from ..interfaces import cli_validate

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
cli_validate.register(app)

if __name__ == "__main__":
    app()
