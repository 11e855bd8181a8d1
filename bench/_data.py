"""Input files for the benchmarks, written by a throw-away process (not measured).

``python -m bench._data export-file ORGS MEMBERS SEED PATH`` writes a generated
project as ``{"organizations": [...], "members": [...]}``, the shape of the usual
Stytch export script. ``python -m bench._data hash-csv ROWS SEED PATH`` writes a
hash export in Stytch's layout with well-formed scrypt rows: random 32-byte keys
and salts, not real scrypt output, since parsing and converting never run scrypt.
``hash-csv-for EXPORT_FILE SEED PATH`` writes one such row per member of a file.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path

from stytch2workos_emulators import defaults

HASH_CSV_PREAMBLE = (
    "scrypt hash parameters,,,,\n"
    "scryptCostParameter,1 << 15,,,\n"
    "scryptRParameter,8,,,\n"
    "scryptPParameter,1,,,\n"
    "scryptKeyLengthParamenter,32,,,\n"
    ",,,,\n"
    "id,hash,salt,hash_method,project_id\n"
)


def write_export_file(orgs: int, members: int, seed: int, path: Path) -> None:
    """Generate a project and write its organizations and members, compact JSON."""
    from stytch2workos_emulators.synth.project import generate_project

    project = generate_project(orgs, members, seed)
    body = {"organizations": project.seed["organizations"], "members": project.seed["members"]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        json.dump(body, out, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(path)


def member_id(index: int) -> str:
    """A member id in Stytch's shape, stable for a row index."""
    return f"member-test-{index:08x}-0000-4000-8000-{index:012x}"


def write_hash_csv(rows: int, seed: int, path: Path) -> None:
    """A Stytch hash export of ``rows`` scrypt rows."""
    rng = random.Random(seed)
    project = defaults.STYTCH_PROJECT_ID
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="ascii", newline="") as out:
        out.write(HASH_CSV_PREAMBLE)
        batch: list[str] = []
        for index in range(rows):
            key = base64.b64encode(rng.randbytes(32)).decode()
            # Stytch's salts are 32 printable characters (base64 of 24 bytes).
            salt = base64.b64encode(rng.randbytes(24)).decode()
            batch.append(f"{member_id(index)},{key},{salt},scrypt,{project}\n")
            if len(batch) >= 10_000:
                out.writelines(batch)
                batch.clear()
        out.writelines(batch)
    tmp.replace(path)


def write_hash_csv_for(export_file: Path, seed: int, path: Path) -> None:
    """A hash export with one scrypt row per member of a ``{"organizations", "members"}`` file."""
    members = json.loads(export_file.read_text(encoding="utf-8"))["members"]
    ids = [str(m["member_id"]) for m in members]
    del members
    rng = random.Random(seed)
    project = defaults.STYTCH_PROJECT_ID
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="ascii", newline="") as out:
        out.write(HASH_CSV_PREAMBLE)
        for member in ids:
            key = base64.b64encode(rng.randbytes(32)).decode()
            salt = base64.b64encode(rng.randbytes(24)).decode()
            out.write(f"{member},{key},{salt},scrypt,{project}\n")
    tmp.replace(path)


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "export-file":
        orgs, members, seed, path = args
        write_export_file(int(orgs), int(members), int(seed), Path(path))
    elif command == "hash-csv":
        rows, seed, path = args
        write_hash_csv(int(rows), int(seed), Path(path))
    elif command == "hash-csv-for":
        export_file, seed, path = args
        write_hash_csv_for(Path(export_file), int(seed), Path(path))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
