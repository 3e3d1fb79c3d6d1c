"""Dialects: pure codecs between a wire protocol and voicewire's turns (no I/O)."""
