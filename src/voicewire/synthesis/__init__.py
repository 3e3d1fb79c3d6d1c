"""Text to audio: units, the worker pool, the per-turn renderer."""
