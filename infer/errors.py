"""Project-wide exception type for user-facing errors."""


class ThreatTaggerError(Exception):
    """A user-facing error; the message names file and line where relevant."""
