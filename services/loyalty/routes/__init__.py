"""Routers of the loyalty service."""
