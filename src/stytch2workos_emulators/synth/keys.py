"""Deterministic, obviously fake RSA keys and X.509 certificates for the SAML fixtures.

Real SAML identity providers sign with RSA-2048, so the fixtures do too. ``cryptography``
draws key material from the operating system, which would make every run different, so
the primes here come from a seeded ``random.Random`` instead. That makes the keys
worthless for anything but test data, which is exactly what they are for.

Searching for 1024-bit primes in pure Python costs a fraction of a second per key, so the
two keys are cached per process and shared by every project; certificates (one RSA
signature each, and PKCS#1 v1.5 signatures are deterministic) are issued per project.
"""

from __future__ import annotations

import datetime
import functools
import math
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

_PUBLIC_EXPONENT = 65537
_MILLER_RABIN_ROUNDS = 12
# One gcd against the product of the small odd primes rejects most composite candidates
# before any expensive modular exponentiation.
_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % q for q in range(3, math.isqrt(p) + 1, 2))]
_SMALL_PRODUCT = math.prod(_SMALL_PRIMES)


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if math.gcd(n, _SMALL_PRODUCT) != 1:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(_MILLER_RABIN_ROUNDS):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        # Top two bits set so the product of two such primes has exactly 2*bits bits.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % _PUBLIC_EXPONENT and _is_probable_prime(candidate, rng):
            return candidate


@functools.cache
def fake_rsa_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """The fake RSA key called ``label``: the same key in every process, never a secret."""
    rng = random.Random(f"stytch2workos fake key/{label}/{bits}")
    p = _prime(rng, bits // 2)
    q = _prime(rng, bits // 2)
    while q == p:
        q = _prime(rng, bits // 2)
    d = pow(_PUBLIC_EXPONENT, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(_PUBLIC_EXPONENT, p * q),
    )
    return numbers.private_key()


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    """``key`` as an unencrypted PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def self_signed_certificate(
    key: rsa.RSAPrivateKey,
    common_name: str,
    organization: str,
    serial: int,
    not_before: int,
    not_after: int,
) -> x509.Certificate:
    """A self-signed certificate for ``key``, byte-identical for identical arguments."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(datetime.datetime.fromtimestamp(not_before, datetime.UTC))
        .not_valid_after(datetime.datetime.fromtimestamp(not_after, datetime.UTC))
        .sign(key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    """``certificate`` as PEM text."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
