"""``nanogpt-demo`` / ``python -m nanogpt_integrations.demo``: the package end to end in one run.

Without ``NANOGPT_API_KEY`` (or with ``--offline``) it starts the bundled NanoGPT emulator in this
process and runs against it; with a key it calls the live API. Standard library + this package only.
"""

from ._cli import main

__all__ = ["main"]
