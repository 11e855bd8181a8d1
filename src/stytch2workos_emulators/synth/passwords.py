"""The password-hash delivery Stytch support would send for a generated project.

For the demo and the tests: every password member of a ``GeneratedProject``
gets a row hashed as Stytch hashes (scrypt, the salt used as its ASCII text),
and the CSV is encrypted to a fresh RSA key exactly as support does it
(``key.bin.enc`` + an ``openssl enc`` file). A rehearsal thus goes through the
same decryption, parsing and conversion as a real migration.

Two rows are deliberately not scrypt, as in a project whose users were
imported into Stytch and never signed in again: one ``bcrypt`` row (WorkOS
accepts it, so that member keeps their password) and one ``md_5`` row (WorkOS
has no equivalent, so that member must reset).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bcrypt

from stytch2workos_emulators import defaults
from stytch2workos_emulators.synth.delivery import (
    ScryptParams,
    generate_keypair,
    hashes_filename,
    stytch_scrypt_row,
    write_csv,
    write_delivery,
)
from stytch2workos_emulators.synth.files import write_private_bytes
from stytch2workos_emulators.synth.project import PASSWORDS_FILE, GeneratedProject

PRIVATE_KEY_FILE = "private_key.pem"
PUBLIC_KEY_FILE = "public_key.pem"
# A fixed date keeps the file name, like the rest of the generator's output, reproducible.
DELIVERY_DATE = "2024-06-01"
# bcrypt's minimum cost keeps generation and sign-in checks quick; WorkOS accepts 4–31.
BCRYPT_ROUNDS = 4


def password_rows(
    project: GeneratedProject, project_id: str, params: ScryptParams, seed: int = 1
) -> list[dict[str, str]]:
    """Export rows for every password member, sorted by member id.

    The last member gets a ``bcrypt`` row and the one before it an ``md_5`` row
    (when there are at least two); the rest are Stytch scrypt rows with seeded salts.
    """
    members = sorted(project.passwords)
    rng = random.Random(seed)
    salts = [base64.urlsafe_b64encode(rng.randbytes(22)).decode("ascii") for _ in members]

    def scrypt_row(member_id: str, salt: str) -> dict[str, str]:
        return stytch_scrypt_row(
            member_id,
            project.passwords[member_id],
            project_id,
            n=params.n,
            r=params.r,
            p=params.p,
            key_length=params.key_length,
            salt=salt,
        )

    # hashlib.scrypt releases the GIL, so a few threads cut the time on large projects.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        rows = list(pool.map(scrypt_row, members, salts))
    if len(rows) >= 2:
        # The last two in id order, so the first password members stay plain scrypt ones.
        bcrypt_member, md5_member = members[-1], members[-2]
        rows[-1] = _row(bcrypt_member, _bcrypt(project.passwords[bcrypt_member]), "bcrypt", project_id)
        md5 = hashlib.md5(project.passwords[md5_member].encode("utf-8"), usedforsecurity=False).hexdigest()
        rows[-2] = _row(md5_member, md5, "md_5", project_id)
    return rows


def _bcrypt(password: str) -> str:
    # bcrypt reads at most 72 bytes; the generator's long passwords are cut the same way
    # on both sides, so the hash still verifies.
    raw = password.encode("utf-8")[:72]
    return bcrypt.hashpw(raw, bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def _row(member_id: str, hash_value: str, method: str, project_id: str) -> dict[str, str]:
    return {"id": member_id, "hash": hash_value, "salt": "", "hash_method": method, "project_id": project_id}


def write_password_delivery(
    project: GeneratedProject,
    out_dir: Path,
    project_id: str = defaults.STYTCH_PROJECT_ID,
    *,
    scrypt_n: int = 1 << 15,
    seed: int = 1,
) -> dict[str, Path]:
    """Write the support delivery for ``project``'s password members into ``out_dir``.

    Files, all mode 0600: the encrypted hashes file, ``key.bin.enc``,
    ``private_key.pem`` and ``public_key.pem`` (the customer's key pair, the
    private key unencrypted), and ``passwords.json`` (member id → plaintext, to
    check sign-ins). Returns the paths by name: ``hashes``, ``key``,
    ``private_key``, ``public_key``, ``passwords``.
    """
    params = ScryptParams(n=scrypt_n, r=8, p=1, key_length=32)
    csv_text = write_csv(password_rows(project, project_id, params, seed), params)
    private_pem, public_pem = generate_keypair()
    out_dir.mkdir(parents=True, exist_ok=True)
    key_path, hashes_path = write_delivery(
        out_dir, csv_text, public_pem, filename=hashes_filename(project_id, DELIVERY_DATE)
    )
    paths = {"hashes": hashes_path, "key": key_path}
    passwords = json.dumps(project.passwords, ensure_ascii=False).encode("utf-8") + b"\n"
    for name, filename, data in (
        ("private_key", PRIVATE_KEY_FILE, private_pem),
        ("public_key", PUBLIC_KEY_FILE, public_pem),
        ("passwords", PASSWORDS_FILE, passwords),
    ):
        write_private_bytes(out_dir / filename, data)
        paths[name] = out_dir / filename
    return paths
