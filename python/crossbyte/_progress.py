"""Progress bars for predict/encode: tqdm when installed, else a plain one."""
from __future__ import annotations

import logging
import sys
from typing import Any, Optional

logger = logging.getLogger("crossbyte")


def wanted(show_progress_bar: Optional[bool]) -> bool:
    """sentence-transformers' rule: None means "when the logger says INFO or DEBUG"."""
    if show_progress_bar is None:
        return logger.getEffectiveLevel() in (logging.INFO, logging.DEBUG)
    return bool(show_progress_bar)


class _PlainBar:
    """A one-line bar on standard error, for machines without tqdm."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.n = total, desc, 0
        self._draw()

    def _draw(self) -> None:
        width = 30
        done = width * self.n // self.total if self.total else width
        sys.stderr.write(f"\r{self.desc}: [{'#' * done}{'.' * (width - done)}] {self.n}/{self.total}")
        sys.stderr.flush()

    def update(self, n: int = 1) -> None:
        self.n += n
        self._draw()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def bar(total: int, desc: str = "Batches") -> Any:
    """A bar counting `total` batches: tqdm's if it imports, else _PlainBar."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainBar(total, desc)
    return tqdm(total=total, desc=desc)
