"""Progress bars over runs (tqdm), and none at all when they would not be seen.

``progress=None`` shows the bar only when standard error is a terminal; ``False`` never.
A hidden bar is not a disabled tqdm: tqdm starts its monitor thread even for disabled
bars and keeps it while they live, and a threaded process must not fork pool workers.
"""
from __future__ import annotations

import sys


class _Hidden:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **values) -> None:
        pass

    def close(self) -> None:
        pass

    def __iter__(self):
        return iter(self.iterable)


def progress_bar(iterable=None, total: int | None = None, desc: str = "", unit: str = "run",
                 progress: bool | None = None):
    shown = sys.stderr.isatty() if progress is None else progress
    if not shown:
        hidden = _Hidden()
        hidden.iterable = iterable if iterable is not None else range(total or 0)
        return hidden
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, unit=unit, dynamic_ncols=True)
