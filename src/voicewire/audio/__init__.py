"""Pure audio processing: formats, stateful resampling, incremental encoders."""
