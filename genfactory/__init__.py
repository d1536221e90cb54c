"""Gen Image Factory: a self-hosted image-generation job system with live progress."""

__version__ = "0.1.0"
