"""Edge parsers: files and forms into core dataclasses, every error with its place."""
