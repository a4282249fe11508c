"""Routers of the transparency service."""
