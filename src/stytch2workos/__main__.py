"""``python -m stytch2workos``."""

from .cli import main

main()
