"""The ASGI server: the only package that awaits network I/O."""
