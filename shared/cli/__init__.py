"""The `ecom` command line."""
