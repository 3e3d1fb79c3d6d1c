"""Benchmarks the project ships: `voicewire bench ...`."""
