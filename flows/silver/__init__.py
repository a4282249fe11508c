"""Silver: conformed tables loaded from bronze, one declaration per table (see `tables`)."""

from flows.silver.change_outbox import (
    change_outbox_options,
    load_change_outbox_file,
    replay_change_outbox_rejects,
)
from flows.silver.load import (
    BronzeFile,
    FileOutcome,
    LedgerImbalanceError,
    LoadOptions,
    SchemaDriftRefusedError,
    load_bronze_file,
    replay_file_rejects,
    unloaded_bronze_files,
)

__all__ = [
    "BronzeFile",
    "FileOutcome",
    "LedgerImbalanceError",
    "LoadOptions",
    "SchemaDriftRefusedError",
    "change_outbox_options",
    "load_bronze_file",
    "load_change_outbox_file",
    "replay_change_outbox_rejects",
    "replay_file_rejects",
    "unloaded_bronze_files",
]
