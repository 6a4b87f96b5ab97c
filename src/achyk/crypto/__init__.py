"""Cryptographic core of remote voting: group, ElGamal, proofs, Fiat–Shamir, threshold keys."""

from achyk.crypto.group import DEFAULT_GROUP, SECP256K1, SYSTEM_RNG, Group, Point, Rng

__all__ = ["DEFAULT_GROUP", "SECP256K1", "SYSTEM_RNG", "Group", "Point", "Rng"]
