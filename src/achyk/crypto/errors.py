"""Typed failures of the cryptographic core."""

from __future__ import annotations

from achyk.errors import VerificationError


class InvalidEncoding(VerificationError):
    """A received element or scalar is malformed, off the curve, non-canonical, or out of range."""


class ProofError(VerificationError):
    """A zero-knowledge proof does not verify."""


class DecryptionError(VerificationError):
    """A decrypted total is out of the range the discrete-log search covers."""
