"""Speech engines behind one interface (``voicewire.engines.base.Engine``), chosen by name."""
