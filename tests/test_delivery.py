"""The encrypted delivery: writer ↔ reader, real-openssl interop both ways, malformed inputs."""

from __future__ import annotations

import base64
import random
import shutil
import stat
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from helpers import STYTCH_EXPORT_SAMPLE
from stytch2workos.source.delivery import (
    MD5_BYTES_TO_KEY,
    PBKDF2_DEFAULT,
    SHA256_BYTES_TO_KEY,
    DeliveryError,
    KdfVariant,
    decrypt_lines,
    derive_key_iv,
    detect_variant,
    openssl_file_password,
    pbkdf2_variant,
    read_delivery,
    unwrap_key,
)
from stytch2workos_emulators.synth import openssl_enc
from stytch2workos_emulators.synth.delivery import (
    ScryptParams,
    encrypt_enc,
    generate_keypair,
    hashes_filename,
    key_file_bytes,
    stytch_scrypt_row,
    wrap_key,
    write_csv,
    write_delivery,
)

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")

SAMPLE_CSV = STYTCH_EXPORT_SAMPLE
SAMPLE_LINES = SAMPLE_CSV.splitlines()
PASSPHRASE = b"not-a-real-passphrase"


def openssl(*args: str) -> bytes:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], check=True, capture_output=True).stdout


def seeded(seed: int = 7) -> random.Random:
    return random.Random(seed)


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return generate_keypair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[bytes, bytes]:
    return generate_keypair()


# ---- pure pieces -----------------------------------------------------------------------------

# Known answers from OpenSSL 3.0: `openssl enc -aes-256-cbc -P -S 0001020304050607
# -pass pass:correct-horse` with `-md sha256`, `-md md5`, `-pbkdf2`, `-pbkdf2 -iter 1000`.
# Each row names the variant twice: as the reader knows it and as the writer does
# (the writer's name and its -iter N), so both are held to OpenSSL's answer.
KDF_ANSWERS = [
    (SHA256_BYTES_TO_KEY, ("sha256", None), "41AA73B3C29B9E696AA89059FAADA357468D56ECB5A3D9F1228766587525FD0F", "CAF0A5C2FB930CC5924E91C2EB8CEB5F"),
    (MD5_BYTES_TO_KEY, ("md5", None), "8E8CE1855E1C0A2E42D0022D1E7DAF0D6A38F28FABE40D598B2629F6AD5EF0DC", "0C5ECF8D28FAD4E81E1BDF4B00B59EE7"),
    (PBKDF2_DEFAULT, ("pbkdf2", None), "B8C69954767465EA738AB001D88F7898463CC1E7405ACC1D841909070FC74879", "E3A6092DD3DF3455FAC334574776186B"),
    (pbkdf2_variant(1000), ("pbkdf2", 1000), "4565BB92D5DDB9EDD6FD6E9D073799762F714F3554DEC08A665326A4C8BB1E2C", "2B124C442541154953F595B34ABF3A6A"),
]  # fmt: skip


@pytest.mark.parametrize(("variant", "writer", "key_hex", "iv_hex"), KDF_ANSWERS)
def test_key_derivation_known_answers(
    variant: KdfVariant, writer: tuple[openssl_enc.Kdf, int | None], key_hex: str, iv_hex: str
) -> None:
    expected = (key_hex, iv_hex)
    key, iv = derive_key_iv(b"correct-horse", bytes(range(8)), variant)
    assert (key.hex().upper(), iv.hex().upper()) == expected
    key, iv = openssl_enc.key_and_iv(b"correct-horse", bytes(range(8)), *writer)
    assert (key.hex().upper(), iv.hex().upper()) == expected


PASSWORD_FILES = [
    (b"abc\n", b"abc"),
    (b"abc", b"abc"),
    (b"abc\r\n", b"abc\r"),  # OpenSSL keeps the carriage return
    (b"ab\ncd\n", b"ab"),
    (b"\nabc", b""),
    (b"ab\0cd\n", b"ab"),
    (b"x" * 2000, b"x" * 1023),
    (b"x" * 1022 + b"\n", b"x" * 1022),
    (bytes(range(1, 10)) + b"\n" + bytes(range(20)), bytes(range(1, 10))),
]


@pytest.mark.parametrize(("content", "password"), PASSWORD_FILES)
def test_openssl_file_password(content: bytes, password: bytes) -> None:
    assert openssl_file_password(content) == password
    assert openssl_enc.password_from_file(content) == password


def test_pbkdf2_variant_rejects_zero() -> None:
    with pytest.raises(ValueError):
        pbkdf2_variant(0)
    with pytest.raises(ValueError):
        openssl_enc.key_and_iv(b"pw", bytes(8), "pbkdf2", 0)
    with pytest.raises(ValueError, match="only apply to the pbkdf2"):
        write_delivery(Path("unused"), "", b"", variant="sha256", iterations=1000)


def test_stytch_scrypt_row_reproduces_the_public_sample() -> None:
    row = stytch_scrypt_row(
        "user-test-c1be12e4-fc61-4e7a-8831-0fc14cb87b65",
        "averylongandunguessablepasswordwithlotsofrandominfooofisjoafasnr;,n2",
        "project-test-36510638-652a-4d3d-9a94-f0a7106582fc",
        salt="zKia-0BdIFKCzWbzXbj3qrhBnbiWNg==",
    )
    assert write_csv([row]) == SAMPLE_CSV


def test_stytch_scrypt_row_makes_stytch_shaped_salts() -> None:
    row = stytch_scrypt_row("m", "pw", "p", n=16, rng=seeded().randbytes)
    assert len(row["salt"]) == 32 and row["salt"].endswith("==")
    assert set(row["salt"]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    assert row == stytch_scrypt_row("m", "pw", "p", n=16, rng=seeded().randbytes)
    assert row["salt"] != stytch_scrypt_row("m", "pw", "p", n=16, rng=seeded(8).randbytes)["salt"]


def test_write_csv_writes_other_parameters_as_stytch_would() -> None:
    text = write_csv([], ScryptParams(1000, 4, 2, 64))
    assert text.splitlines()[1:5] == [
        "scryptCostParameter,1000,,,",
        "scryptRParameter,4,,,",
        "scryptPParameter,2,,,",
        "scryptKeyLengthParamenter,64,,,",
    ]


def test_key_file_formats() -> None:
    assert len(key_file_bytes("hex")) == 65 and key_file_bytes("hex").endswith(b"\n")
    assert len(key_file_bytes("base64")) == 45 and key_file_bytes("base64").endswith(b"=\n")
    assert key_file_bytes("raw", seeded().randbytes) == seeded().randbytes(32)


# ---- writer → reader, in process -------------------------------------------------------------

ROUND_TRIPS = [
    ("sha256", "pkcs1", "hex"),
    ("md5", "pkcs1", "base64"),
    ("pbkdf2", "oaep", "hex"),
    ("sha256", "oaep-sha256", "raw"),
    ("md5", "oaep", "raw"),
]


@pytest.mark.parametrize(("variant", "rsa_pad", "key_format"), ROUND_TRIPS)
def test_round_trip(
    tmp_path: Path, keys: tuple[bytes, bytes], variant: str, rsa_pad: str, key_format: str
) -> None:
    private_pem, public_pem = keys
    key_enc, hashes = write_delivery(
        tmp_path,
        SAMPLE_CSV,
        public_pem,
        variant=variant,  # type: ignore[arg-type]
        padding=rsa_pad,  # type: ignore[arg-type]
        key_format=key_format,  # type: ignore[arg-type]
        filename=hashes_filename("project-test-1", "2024-05-01"),
    )
    assert hashes.name == "stytch-project-test-1-hashes-2024-05-01.enc"
    assert hashes.read_bytes()[:8] == b"Salted__"
    assert list(read_delivery(key_enc, hashes, private_pem, None)) == SAMPLE_LINES


def test_iterations_must_be_given_for_iter(tmp_path: Path, keys: tuple[bytes, bytes]) -> None:
    private_pem, public_pem = keys
    key_enc, hashes = write_delivery(tmp_path, SAMPLE_CSV, public_pem, variant="pbkdf2", iterations=1000)
    with pytest.raises(DeliveryError, match="iterations=N"):
        read_delivery(key_enc, hashes, private_pem, None)
    assert list(read_delivery(key_enc, hashes, private_pem, None, iterations=1000)) == SAMPLE_LINES


def test_files_are_owner_only(tmp_path: Path, keys: tuple[bytes, bytes]) -> None:
    stale = tmp_path / "key.bin.enc"
    stale.write_bytes(b"old")
    stale.chmod(0o644)
    for path in write_delivery(tmp_path, SAMPLE_CSV, keys[1]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_streams_large_files_in_small_memory(tmp_path: Path) -> None:
    row = "member-test-{:07d},8dg6AaIWPfcLTQU7lb4H-CI49dHeqaBXfFE1ogb2qRQ=,zKia-0BdIFKCzWbzXbj3qrhBnbiWNg==,scrypt,p\n"
    text = "id,hash,salt,hash_method,project_id\n" + "".join(row.format(i) for i in range(60_000))
    key_bin = key_file_bytes()
    path = tmp_path / "big.enc"
    path.write_bytes(encrypt_enc(text.encode(), key_bin))
    del text
    tracemalloc.start()
    try:
        count = sum(1 for _ in decrypt_lines(path, key_bin))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 60_001
    assert path.stat().st_size > 6_000_000
    assert peak < 1_000_000


@pytest.mark.parametrize("chunk_size", [1, 7, 16, 100])
def test_chunk_boundaries_split_lines_and_characters(tmp_path: Path, chunk_size: int) -> None:
    text = "id,hash,salt,hash_method,project_id\r\nmémbre,h,s,scrypt,prøject\r\nlast,h,s,scrypt,p"
    key_bin = key_file_bytes()
    path = tmp_path / "h.enc"
    path.write_bytes(encrypt_enc(text.encode(), key_bin, "md5"))
    assert list(decrypt_lines(path, key_bin, chunk_size=chunk_size)) == text.split("\r\n")


def test_detects_each_variant(tmp_path: Path) -> None:
    key_bin = key_file_bytes()
    writers: list[openssl_enc.Kdf] = ["sha256", "md5", "pbkdf2"]
    for name, variant in zip(writers, (SHA256_BYTES_TO_KEY, MD5_BYTES_TO_KEY, PBKDF2_DEFAULT), strict=True):
        path = tmp_path / f"{variant.name}.enc"
        path.write_bytes(encrypt_enc(b"id,hash", key_bin, name))  # a single block
        assert detect_variant(path, key_bin) == variant


# ---- malformed deliveries --------------------------------------------------------------------


@pytest.fixture
def delivery(tmp_path: Path, keys: tuple[bytes, bytes]) -> tuple[Path, Path]:
    return write_delivery(tmp_path / "d", SAMPLE_CSV * 3, keys[1], rng=seeded().randbytes)


def _raw_aes(key_bin: bytes, salt: bytes, plaintext: bytes) -> bytes:
    key, iv = derive_key_iv(openssl_file_password(key_bin), salt, SHA256_BYTES_TO_KEY)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return b"Salted__" + salt + encryptor.update(plaintext) + encryptor.finalize()


def test_truncated_hashes_file(delivery: tuple[Path, Path], keys: tuple[bytes, bytes]) -> None:
    key_enc, hashes = delivery
    data = hashes.read_bytes()
    for cut, message in (
        (5, "truncated or corrupt"),
        (16, "does not decrypt"),
        (len(data) - 16, "truncated"),
    ):
        hashes.write_bytes(data[:-cut])
        with pytest.raises(DeliveryError, match=message):
            read_delivery(key_enc, hashes, keys[0], None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (SAMPLE_CSV.encode(), "no 'Salted__' header"),
        (b"", "no 'Salted__' header"),
        (b"Salted__x", "Salted__"),
    ],
)
def test_not_an_openssl_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "plain.csv"
    path.write_bytes(content)
    with pytest.raises(DeliveryError, match=message):
        decrypt_lines(path, b"key\n")


def test_bad_padding_and_wrong_content(tmp_path: Path) -> None:
    key_bin = b"fake-key\n"
    cases = {
        "bad-padding": _raw_aes(key_bin, bytes(8), b"id,hash,salt,hash_method,projec\0"),
        "not-csv": encrypt_enc(b"<html>not the export</html>", key_bin),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DeliveryError, match="does not decrypt to Stytch's hash CSV"):
            decrypt_lines(path, key_bin)


def test_invalid_utf8_fails_during_iteration(tmp_path: Path) -> None:
    key_bin = b"fake-key\n"
    path = tmp_path / "h.enc"
    path.write_bytes(encrypt_enc(b"id,hash,salt,hash_method,project_id\n\xff\xfe,x\n", key_bin))
    lines = decrypt_lines(path, key_bin)
    with pytest.raises(DeliveryError, match="not UTF-8"):
        list(lines)


def test_wrong_key_bin(delivery: tuple[Path, Path]) -> None:
    with pytest.raises(DeliveryError, match=r"key\.bin\.enc came with this file"):
        decrypt_lines(delivery[1], key_file_bytes())


@pytest.mark.parametrize("rsa_pad", ["pkcs1", "oaep", "oaep-sha256"])
def test_wrong_private_key(keys: tuple[bytes, bytes], other_keys: tuple[bytes, bytes], rsa_pad: str) -> None:
    key_enc = wrap_key(b"0123\n", keys[1], rsa_pad)  # type: ignore[arg-type]
    assert unwrap_key(key_enc, keys[0], None) == b"0123\n"
    with pytest.raises(DeliveryError, match="does not decrypt with this private key"):
        unwrap_key(key_enc, other_keys[0], None)


def test_key_enc_of_the_wrong_size_or_base64(keys: tuple[bytes, bytes]) -> None:
    key_enc = wrap_key(b"secret\n", keys[1])
    with pytest.raises(DeliveryError, match="is 255 bytes but this 2048-bit"):
        unwrap_key(key_enc[:-1], keys[0], None)
    assert unwrap_key(base64.encodebytes(key_enc), keys[0], None) == b"secret\n"


def test_private_key_problems(keys: tuple[bytes, bytes]) -> None:
    encrypted, public = generate_keypair(passphrase=PASSPHRASE)
    key_enc = wrap_key(b"k\n", public)
    assert unwrap_key(key_enc, encrypted, PASSPHRASE) == b"k\n"
    cases = [
        (encrypted, None, "a passphrase is needed"),
        (encrypted, b"wrong", "wrong passphrase"),
        (public, None, "that is the public key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", None, "could not be read"),
    ]
    for pem, passphrase, message in cases:
        with pytest.raises(DeliveryError, match=message):
            unwrap_key(key_enc, pem, passphrase)
    # A passphrase offered for an unencrypted key is ignored.
    assert unwrap_key(wrap_key(b"k\n", keys[1]), keys[0], b"unused") == b"k\n"
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(DeliveryError, match="not an RSA key"):
        unwrap_key(key_enc, ec_pem, None)


# ---- interop with the openssl command ---------------------------------------------------------

OPENSSL_ENC = [
    pytest.param([], None, id="default-sha256"),
    pytest.param(["-md", "md5"], None, id="md5"),
    pytest.param(["-pbkdf2"], None, id="pbkdf2"),
    pytest.param(["-iter", "2000"], 2000, id="iter"),
]
OPENSSL_PAD = [
    pytest.param([], id="pkcs1"),
    pytest.param(["-pkeyopt", "rsa_padding_mode:oaep"], id="oaep-sha1"),
    pytest.param(
        [
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        id="oaep-sha256",
    ),
]


@needs_openssl
@pytest.mark.parametrize(("enc_args", "iterations"), OPENSSL_ENC)
@pytest.mark.parametrize("pad_args", OPENSSL_PAD)
def test_reads_what_openssl_writes(
    tmp_path: Path,
    keys: tuple[bytes, bytes],
    enc_args: list[str],
    iterations: int | None,
    pad_args: list[str],
) -> None:
    private_pem, public_pem = keys
    (tmp_path / "pub.pem").write_bytes(public_pem)
    (tmp_path / "x.csv").write_text(SAMPLE_CSV)
    d = str(tmp_path)
    openssl("rand", "-hex", "-out", f"{d}/key.bin", "32")
    openssl(
        "enc",
        "-aes-256-cbc",
        "-salt",
        "-in",
        f"{d}/x.csv",
        "-out",
        f"{d}/x.enc",
        "-pass",
        f"file:{d}/key.bin",
        *enc_args,
    )
    openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", f"{d}/pub.pem", "-in", f"{d}/key.bin", "-out", f"{d}/key.bin.enc", *pad_args)  # fmt: skip
    lines = read_delivery(
        tmp_path / "key.bin.enc", tmp_path / "x.enc", private_pem, None, iterations=iterations
    )
    assert list(lines) == SAMPLE_LINES


@needs_openssl
@pytest.mark.parametrize(
    "key_content",
    [
        b"two\r\nlines\n",
        b"ab\0cd\nef",
        b"y" * 1500,
        bytes(range(1, 10)) + b"\n" + bytes(range(256)),
    ],
)
def test_password_file_reading_matches_openssl(tmp_path: Path, key_content: bytes) -> None:
    (tmp_path / "key.bin").write_bytes(key_content)
    (tmp_path / "x.csv").write_text(SAMPLE_CSV)
    d = str(tmp_path)
    openssl("enc", "-aes-256-cbc", "-in", f"{d}/x.csv", "-out", f"{d}/x.enc", "-pass", f"file:{d}/key.bin")
    assert list(decrypt_lines(tmp_path / "x.enc", key_content)) == SAMPLE_LINES


@needs_openssl
@pytest.mark.parametrize(
    ("variant", "dec_args"), [("sha256", []), ("md5", ["-md", "md5"]), ("pbkdf2", ["-pbkdf2"])]
)
@pytest.mark.parametrize(
    ("rsa_pad", "pad_args"),
    [("pkcs1", []), ("oaep", ["-pkeyopt", "rsa_padding_mode:oaep"])],
)
@pytest.mark.parametrize("key_format", ["hex", "raw"])
def test_openssl_reads_what_the_writer_writes(
    tmp_path: Path,
    keys: tuple[bytes, bytes],
    variant: str,
    dec_args: list[str],
    rsa_pad: str,
    pad_args: list[str],
    key_format: str,
) -> None:
    private_pem, public_pem = keys
    (tmp_path / "priv.pem").write_bytes(private_pem)
    # Seed 14's raw key has a newline at byte 8, so OpenSSL's first-line rule matters.
    rng = seeded(14).randbytes
    assert seeded(14).randbytes(32).find(b"\n") == 8
    key_enc, hashes = write_delivery(
        tmp_path / "out",
        SAMPLE_CSV,
        public_pem,
        variant=variant,  # type: ignore[arg-type]
        padding=rsa_pad,  # type: ignore[arg-type]
        key_format=key_format,  # type: ignore[arg-type]
        rng=rng,
    )
    d = str(tmp_path)
    openssl(
        "pkeyutl",
        "-decrypt",
        "-inkey",
        f"{d}/priv.pem",
        "-in",
        str(key_enc),
        "-out",
        f"{d}/key.bin",
        *pad_args,
    )
    plain = openssl("enc", "-d", "-aes-256-cbc", "-in", str(hashes), "-pass", f"file:{d}/key.bin", *dec_args)
    assert plain.decode() == SAMPLE_CSV


@needs_openssl
@pytest.mark.parametrize("style", ["pkcs8", "traditional"])
def test_reads_openssl_encrypted_private_keys(tmp_path: Path, style: str) -> None:
    d = str(tmp_path)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{d}/plain.pem")
    if style == "pkcs8":
        openssl(
            "pkey", "-in", f"{d}/plain.pem", "-aes256", "-passout", "pass:fake-pass", "-out", f"{d}/k.pem"
        )
    else:
        openssl("rsa", "-in", f"{d}/plain.pem", "-traditional", "-aes256", "-passout", "pass:fake-pass", "-out", f"{d}/k.pem")  # fmt: skip
    public_pem = openssl("pkey", "-in", f"{d}/plain.pem", "-pubout")
    key_pem = (tmp_path / "k.pem").read_bytes()
    key_enc = wrap_key(b"key-bin\n", public_pem)
    assert unwrap_key(key_enc, key_pem, b"fake-pass") == b"key-bin\n"
    with pytest.raises(DeliveryError, match="wrong passphrase"):
        unwrap_key(key_enc, key_pem, b"other-pass")
