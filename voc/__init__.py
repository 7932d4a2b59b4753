"""voc: voice-of-the-customer text analytics (library, service and command line)."""

__version__ = "0.1.0"
