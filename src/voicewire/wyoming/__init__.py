"""The Wyoming TCP listener (Home Assistant's protocol) on the shared runtime; its codec is
``voicewire.dialects.wyoming``."""
