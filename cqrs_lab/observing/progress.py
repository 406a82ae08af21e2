"""Progress bars for long runs, through ``tqdm.auto``, behind the ``on_progress`` callback.

The projector reports progress as ``on_progress(done, total)`` and knows nothing about
bars. :class:`ProgressBar` is such a callback: it draws with tqdm, which picks a widget
in Jupyter and a text bar in a terminal, so a rebuild shows progress anywhere with
``projector.rebuild(on_progress=ProgressBar("rebuild"))``.
"""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm


class ProgressBar:
    """An ``on_progress(done, total)`` callback that moves a tqdm bar.

    The bar is created at the first report (when the total is known) and closed when
    ``done`` reaches ``total``. Extra keyword arguments go to ``tqdm`` (``file=``,
    ``disable=``, ``leave=`` ...).
    """

    def __init__(self, description: str = "events", **options: Any) -> None:
        self.description = description
        self.options = options
        self.bar: Any = None
        """The tqdm bar (None until the first report)."""

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.description, unit="event", **self.options)
        self.bar.total = max(total, done)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.bar.close()

    @property
    def done(self) -> int:
        """Events reported done so far."""
        return 0 if self.bar is None else self.bar.n
