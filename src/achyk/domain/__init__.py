"""The pure election model: definitions, protocols, tabulation, seats. No I/O, no frameworks."""
