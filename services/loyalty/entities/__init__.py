"""Loyalty entities: each module holds one view of the loyalty marts and its models."""
