"""The playground's lab controls: keep the lab in a folder, and reset a kept lab.

Keeping is ``build_lab(path=...)``: the playground switches to the lab kept in the folder
(restored if one is there, new and empty if not). A lab in memory is not copied into it:
its events stay with the ``lab`` the notebook built. Resetting deletes the kept lab's
files (:func:`~cqrs_lab.orders.reset_lab`), so it asks first: the first click only shows
what would be lost, and nothing is deleted until "Yes" is pressed.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from cqrs_lab.orders import build_lab, reset_lab


class PlaygroundFolder:
    """Lab-folder actions for :class:`~cqrs_lab.presentation.Playground` (a mixin)."""

    def keep_in_folder(self, path=None):
        """Switch to the lab kept in ``path`` (or the folder box): restored if there is one.

        A refused folder (read models that do not match its events, a file in the way) is
        shown as an error and the playground stays on its lab. Returns the lab shown."""
        path = self.folder.value.strip() if path is None else str(path)
        if not path:
            self._show_error(ValueError("folder: name a folder to keep the lab in"))
            return self.lab
        if self.lab.path is not None and self.lab.path.resolve() == Path(path).resolve():
            self._show_error(None)
            return self.lab  # kept there already
        try:
            kept = build_lab(path=path, consistency=self.lab.consistency)
        except Exception as error:  # refused: shown, and the lab in use is untouched
            self._show_error(error)
            return self.lab
        if self.lab.path is not None:
            self.lab.close()  # its files are saved; release them
        self._switch_to(kept)
        return kept

    def reset_lab(self) -> None:
        """Ask before resetting the kept lab: show what would be deleted, and Yes / No."""
        if self.lab.path is None:
            self._show_error(ValueError("this lab is in memory: there is no kept lab to reset"))
            return
        self.reset_question.value = (
            f"Delete the {self.lab.event_store.head} events, the read models and the stock "
            f"kept in <code>{escape(str(self.lab.path))}</code> and start over empty? "
            "This cannot be undone."
        )
        self.reset_confirmation.layout.display = "flex"

    def cancel_reset(self) -> None:
        """Keep the lab: hide the question, change nothing."""
        self.reset_confirmation.layout.display = "none"

    def confirm_reset(self):
        """Delete the kept lab and start a new, empty one in the same folder.

        Only after :meth:`reset_lab` asked. A folder holding anything but the lab is
        refused (the error names the path) and the lab is reopened as it was."""
        if self.reset_confirmation.layout.display == "none":
            self._show_error(RuntimeError("reset: press Reset lab… first, then confirm"))
            return self.lab
        self.cancel_reset()
        path, consistency = self.lab.path, self.lab.consistency
        self.lab.close()
        try:
            reset_lab(path)
        except Exception as error:  # nothing was deleted: go on with the lab as it was
            self._switch_to(build_lab(path=path, consistency=consistency))
            self._show_error(error)
            return self.lab
        self._switch_to(build_lab(path=path, consistency=consistency))
        return self.lab

    def _wire_lab_controls(self) -> None:
        self.keep_button.on_click(lambda _: self.keep_in_folder())
        self.reset_button.on_click(lambda _: self.reset_lab())
        self.confirm_reset_button.on_click(lambda _: self.confirm_reset())
        self.cancel_reset_button.on_click(lambda _: self.cancel_reset())


def render_lab_status(lab) -> str:
    """Where the lab lives: in memory (gone with the kernel) or kept in a folder."""
    head = lab.event_store.head
    if lab.path is None:
        return (
            f'<div class="cqrs-lab-in-memory">This lab is <b>in memory</b> ({head} events): '
            "it is gone when the kernel stops. <i>Keep lab in folder</i> switches to a lab "
            "kept in that folder, to come back to (this one's events are not copied).</div>"
        )
    return (
        f'<div class="cqrs-lab-kept" data-path="{escape(str(lab.path))}">This lab is '
        f"<b>kept</b> in <code>{escape(str(lab.path))}</code> ({head} events): "
        "build it again with the same folder and it is restored.</div>"
    )
