"""The NIST SP 1500-100 report lives in `achyk.formats.nist` (pure, so `verify` recomputes it)."""

from achyk.formats.nist import *  # noqa: F403
from achyk.formats.nist import election_report

__all__ = ["election_report"]
