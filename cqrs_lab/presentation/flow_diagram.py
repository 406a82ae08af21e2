"""The flow diagram's widget: shows the flow view's HTML and slides each token to its new place.

An ``anywidget`` (a widget whose browser half is the few lines of JavaScript below), not an
``ipywidgets.HTML``, for one reason: between two steps it animates every token from where
it was to where it is now (tokens keep their ``data-token`` id), so the eye follows a
message from stage to stage instead of seeing it jump. Python only ever sets ``html``,
made by :func:`~cqrs_lab.presentation.flow_svg.render_flow`, which tests read directly.
"""

from __future__ import annotations

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  el.classList.add("cqrs-flow-widget");
  const draw = () => {
    const was = new Map();
    el.querySelectorAll("[data-token]").forEach((g) =>
      was.set(g.dataset.token, [Number(g.dataset.x), Number(g.dataset.y)]));
    el.innerHTML = model.get("html");
    el.querySelectorAll("[data-token]").forEach((g) => {
      const from = was.get(g.dataset.token);
      if (!from) return;
      const dx = from[0] - Number(g.dataset.x), dy = from[1] - Number(g.dataset.y);
      if (dx || dy) {
        g.animate(
          [{ transform: `translate(${dx}px, ${dy}px)` }, { transform: "translate(0px, 0px)" }],
          { duration: 350, easing: "ease-out" });
      }
    });
  };
  draw();
  model.on("change:html", draw);
}
export default { render };
"""


class FlowDiagram(anywidget.AnyWidget):
    """Displays ``html`` (the flow view's markup); tokens glide between stages."""

    _esm = _ESM
    html = traitlets.Unicode("").tag(sync=True)
    """The markup shown: a ``div.cqrs-flow`` holding the SVG diagram."""
