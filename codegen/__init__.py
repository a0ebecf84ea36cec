"""Code generation from the schemas (`python -m codegen`, `make codegen`).

`schemas/v1/` is the source of truth; everything listed in docs/ARCHITECTURE.md as generated is
written from it here, byte for byte reproducibly. `check()` regenerates into a temp dir and lists
every file that differs from, is missing from or is extra in the tree.
"""

from codegen.pipeline import check, compare, generate, render, write

__all__ = ["check", "compare", "generate", "render", "write"]
