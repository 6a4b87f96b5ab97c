"""secp256k1 group: known answers and validation of received encodings.

Vectors: multiples of the SEC 2 (section 2.4.1) generator as published on Cryptography Stack Exchange,
"Are there any secp256k1 ECDSA test examples available?" (question 784): k = 1..5 and the random
m = AA5E28D6… vector. Curve constants p, n from SEC 2 v2, section 2.4.1.
"""

from __future__ import annotations

import pytest

from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import SECP256K1 as G

P = 2**256 - 2**32 - 977  # SEC 2, 2.4.1: FFFFFFFF … FFFFFFFE FFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

VECTORS = [
    (1, "79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798",
     "483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8"),
    (2, "C6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5",
     "1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A"),
    (3, "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
     "388F7B0F632DE8140FE337E62A37F3566500A99934C2231B6CB9FD7584B8E672"),
    (4, "E493DBF1C10D80F3581E4904930B1404CC6C13900EE0758474FA94ABE8C4CD13",
     "51ED993EA0D455B75642E2098EA51448D967AE33BFBDFE40CFE97BDC47739922"),
    (5, "2F8BDE4D1A07209355B4A7250A5C5128E88B84BDDC619AB7CBA8D569B240EFE4",
     "D8AC222636E5E3D6D4DBA9DDA6C9C426F788271BAB0D6840DCA87D3AA6AC62D6"),
    (0xAA5E28D6A97A2479A65527F7290311A3624D4CC0FA1578598EE3C2613BF99522,
     "34F9460F0E4F08393D192B3C5133A6BA099AA0AD9FD54EBCCFACDFA239FF49C6",
     "0B71EA9BD730FD8923F6D25A7A91E7DD7728A960686CB5A901BB419E0F2CA232"),
]  # fmt: skip


def compressed(x: str, y: str) -> bytes:
    return bytes([2 + (int(y, 16) & 1)]) + bytes.fromhex(x)


@pytest.mark.parametrize(("k", "x", "y"), VECTORS)
def test_base_multiples_match_published_vectors(k: int, x: str, y: str) -> None:
    expected = compressed(x, y)
    assert G.encode(G.base_mul(k)) == expected
    assert G.encode(G.mul(G.generator, k)) == expected
    assert G.decode(expected) == G.base_mul(k)


def test_small_multiples_by_repeated_addition_match_vectors() -> None:
    acc = G.identity
    for k, x, y in VECTORS[:5]:
        acc = G.add(acc, G.generator)
        assert G.encode(acc) == compressed(x, y), k


def test_order_and_identity() -> None:
    assert G.order == N
    assert G.base_mul(N) == G.identity
    assert G.base_mul(N - 1) == G.neg(G.generator)
    assert G.add(G.generator, G.neg(G.generator)) == G.identity
    assert G.sum([G.generator, G.base_mul(2), G.base_mul(N - 3)]) == G.identity
    assert G.mul_base_add(G.generator, 2, -2) == G.identity


def _not_on_curve_x() -> int:
    # x with x³ + 7 a non-residue mod p (Euler's criterion): no point has it.
    x = 1
    while pow(x**3 + 7, (P - 1) // 2, P) == 1:
        x += 1
    return x


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x02" + b"\x00" * 31,  # too short
        b"\x04" + bytes.fromhex(VECTORS[0][1]),  # wrong prefix for 33 bytes
        b"\x02" + P.to_bytes(32, "big"),  # x = p is not a field element
        b"\x03" + (P + 1).to_bytes(32, "big"),  # x ≥ p
        b"\x02" + _not_on_curve_x().to_bytes(32, "big"),
        b"\x04" + bytes.fromhex(VECTORS[0][1] + VECTORS[0][2]),  # uncompressed is not canonical
    ],
)
def test_invalid_encodings_are_rejected(data: bytes) -> None:
    with pytest.raises(InvalidEncoding):
        G.decode(data)


def test_identity_is_rejected_unless_allowed() -> None:
    with pytest.raises(InvalidEncoding):
        G.decode(b"\x00")
    assert G.decode(b"\x00", allow_identity=True) == G.identity


def test_scalars_must_be_below_the_order() -> None:
    assert G.decode_scalar((N - 1).to_bytes(32, "big")) == N - 1
    for bad in (N.to_bytes(32, "big"), (2**256 - 1).to_bytes(32, "big"), b"\x01" * 31):
        with pytest.raises(InvalidEncoding):
            G.decode_scalar(bad)
