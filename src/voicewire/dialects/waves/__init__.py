"""The smallest.ai Waves TTS API: requests, live messages, frames, catalogs."""
