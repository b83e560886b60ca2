"""python -m embeddings: the command line."""

from .cli import main

raise SystemExit(main())
