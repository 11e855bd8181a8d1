"""Owner-only output for the generator: seeds, plaintext passwords, keys and deliveries.

Everything the synthetic world writes is secret-shaped (fake OIDC secrets, the
plaintext passwords of generated members, an RSA private key), so a file is
born with mode 0600 rather than created and narrowed afterwards, which would
leave a window in which another user could open it. A file that already exists
with a wider mode is narrowed before the new content goes in.

Failures are left as ``OSError``: the caller (a test, the demo, the product's
``emulate`` command) decides how to present them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY = 0o600


def write_private_bytes(path: Path, data: bytes) -> None:
    """Replace ``path``'s content with ``data``, the file readable by its owner only."""
    # The mode argument only counts when O_CREAT really creates the file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    with os.fdopen(fd, "wb") as handle:
        mode = os.fstat(fd).st_mode
        # Only a regular file is narrowed: a path such as /dev/stdout must keep its mode.
        if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
            os.fchmod(fd, OWNER_ONLY)
        handle.write(data)
