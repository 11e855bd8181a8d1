"""``python -m stytch2workos``."""

from stytch2workos.cli.app import main

main()
