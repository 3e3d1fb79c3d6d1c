"""voicewire: a self-hosted, offline text-to-speech server that speaks the smallest.ai Waves API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
