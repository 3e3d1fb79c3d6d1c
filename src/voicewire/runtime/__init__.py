"""The runtime: what every listener shares (keys, limits, voices, the synthesis pool), outside any framework."""
