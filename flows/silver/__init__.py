"""Silver: conformed tables loaded from bronze, one declaration per table (see `tables`)."""

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
    "load_bronze_file",
    "replay_file_rejects",
    "unloaded_bronze_files",
]
