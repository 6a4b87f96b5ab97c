"""achyk — an open, verifiable election system."""

__version__ = "0.1.0"
