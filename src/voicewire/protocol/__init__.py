"""Sans-I/O protocol core: request model, frames, the live session state machine, SSE framing."""
