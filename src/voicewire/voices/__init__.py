"""Voice packs: catalogs read in their real hub layouts, verified downloads, installs that are whole
or nothing, and ``voicewire voices``. Used by the command line only: the server never downloads, it
notices the voices folder change (``voicewire.runtime.voice_reload``). See docs/voices.md.
"""

__all__: list[str] = []
