"""``python -m nanogpt_integrations.demo``."""

from . import main

raise SystemExit(main())
