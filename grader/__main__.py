"""`python -m grader` is the same as the `grader` console script."""
from __future__ import annotations

from grader.cli import main

raise SystemExit(main())
