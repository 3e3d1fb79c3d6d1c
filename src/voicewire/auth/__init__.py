"""API keys: generation, hashing, and the key stores."""
