"""Obviously fake credentials the emulators accept by default (never real ones)."""

import os
from collections.abc import Mapping

STYTCH_PROJECT_ID = "project-test-00000000-0000-4000-8000-000000000000"
STYTCH_SECRET = "secret-test-emulator-not-a-real-secret="
WORKOS_API_KEY = "sk_test_emulator_not_a_real_key"
WORKOS_CLIENT_ID = "client_emulator_not_a_real_client"


def operator_env(
    stytch_url: str | None = None, workos_url: str | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment an operator would set to point the tool at the emulators.

    Starts from ``base`` (default: this process's environment) without any STYTCH_* or
    WORKOS_* variable, so a real key can never leak into a rehearsal.
    """
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("STYTCH", "WORKOS"))
    }
    env.update(
        STYTCH_PROJECT_ID=STYTCH_PROJECT_ID,
        STYTCH_SECRET=STYTCH_SECRET,
        WORKOS_API_KEY=WORKOS_API_KEY,
        WORKOS_CLIENT_ID=WORKOS_CLIENT_ID,
    )
    if stytch_url:
        env["STYTCH_BASE_URL"] = stytch_url
    if workos_url:
        env["WORKOS_BASE_URL"] = workos_url
    return env
