"""Pure text processing: client words, spoken-form normalization, incremental chunking."""
