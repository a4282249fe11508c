"""Transparency entities: each module holds one mart's resource description and its models."""
