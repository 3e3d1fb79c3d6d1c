"""Home Assistant's Wyoming protocol as a dialect: framing, the ``info`` answer and one connection's
events (no I/O; the TCP listener is ``voicewire.wyoming``)."""
