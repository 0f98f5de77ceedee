"""``python -m spawned.cluster run --nodes N [--backend asyncio|trio|threads] app:main``."""

import sys

from ._launcher import main

sys.exit(main())
