"""`python -m shared.cli` runs the `ecom` command line."""

from shared.cli.main import main

main()
