"""``python -m stytch2workos``."""

from stytch2workos import stopping

# Before the CLI and all it imports load: a Ctrl-C from now on is one line, not a traceback.
stopping.exit_at_once_on_signals()

from stytch2workos.cli.app import main  # noqa: E402

main()
