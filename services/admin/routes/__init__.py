"""Routers of the admin service."""
