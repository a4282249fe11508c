"""`python -m deploy.cli` runs the `ecom` command line."""

from deploy.cli.main import main

main()
