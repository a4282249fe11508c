"""Reminders entities: each module holds one table's resource description and its models."""
