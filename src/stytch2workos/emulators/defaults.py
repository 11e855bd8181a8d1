"""Obviously fake credentials the emulators accept by default (never real ones)."""

STYTCH_PROJECT_ID = "project-test-00000000-0000-4000-8000-000000000000"
STYTCH_SECRET = "secret-test-emulator-not-a-real-secret="
WORKOS_API_KEY = "sk_test_emulator_not_a_real_key"
WORKOS_CLIENT_ID = "client_emulator_not_a_real_client"
