"""The lag chart as inline SVG: events behind and seconds behind over simulated time.

SVG text, not a matplotlib figure, so the playground can redraw it on every click in well
under a millisecond and a test can read it back. Only the last ``window`` samples are
drawn, so the cost does not grow with the lab's history.
"""

from __future__ import annotations

from html import escape

from cqrs_lab.presentation import palette

WIDTH, HEIGHT, PAD = 420, 120, 34


def _panel(
    xs: list[float], ys: list[float], *, label: str, colour: str, threshold: float | None
) -> str:
    top = max([*ys, threshold or 0, 1.0]) * 1.1
    span = (xs[-1] - xs[0]) or 1.0
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD + 20

    def point(x: float, y: float) -> str:
        return f"{PAD + (x - xs[0]) / span * plot_w:.1f},{PAD - 10 + plot_h - y / top * plot_h:.1f}"

    # A step line: lag holds its value until the next sample.
    steps = [point(xs[0], ys[0])]
    for i in range(1, len(xs)):
        steps += [point(xs[i], ys[i - 1]), point(xs[i], ys[i])]
    parts = [
        f'<svg class="cqrs-lag-panel" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" style="font:10px sans-serif">',
        f'<rect x="{PAD}" y="{PAD - 10}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#aaa"/>',
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(steps)}"/>',
        f'<text x="{PAD}" y="14">{escape(label)} (now {ys[-1]:g}, max {max(ys):g})</text>',
        f'<text x="{PAD - 4}" y="{PAD - 6}" text-anchor="end">{top:.0f}</text>',
        f'<text x="{PAD - 4}" y="{PAD - 10 + plot_h}" text-anchor="end">0</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 2}" text-anchor="end">'
        f"simulated time (s): {xs[0]:g} to {xs[-1]:g}</text>",
    ]
    if threshold is not None:
        y = point(xs[0], threshold).split(",")[1]
        parts.append(
            f'<line class="cqrs-threshold" x1="{PAD}" x2="{WIDTH - PAD}" y1="{y}" y2="{y}" '
            f'stroke="{palette.THRESHOLD}" stroke-dasharray="4 3"/>'
            f'<text x="{WIDTH - PAD}" y="{float(y) - 3:.1f}" text-anchor="end" '
            f'fill="{palette.THRESHOLD}">'
            f"alert threshold {threshold:g}</text>"
        )
    return "".join(parts) + "</svg>"


def render_lag_chart(lab, window: int = 200) -> str:
    """Two step charts of the lag monitor's last ``window`` samples, with its thresholds."""
    monitor = lab.lag_monitor
    samples = monitor.samples[-window:]
    if not samples:
        return '<div class="cqrs-lag-chart">No lag samples yet: dispatch a command.</div>'
    origin = monitor.samples[0].at
    xs = [(s.at - origin).total_seconds() for s in samples]
    events = [float(s.events_behind) for s in samples]
    seconds = [s.seconds_behind for s in samples]
    return (
        f'<div class="cqrs-lag-chart" data-samples="{len(monitor.samples)}" '
        f'data-alerts="{len(monitor.alerts)}"><b>Projection lag</b>: {len(monitor.alerts)} '
        f"alerts so far<br>"
        + _panel(
            xs,
            events,
            label="events behind",
            colour=palette.EVENTS_BEHIND,
            threshold=monitor.max_events_behind,
        )
        + _panel(
            xs,
            seconds,
            label="seconds behind",
            colour=palette.SECONDS_BEHIND,
            threshold=monitor.max_seconds_behind,
        )
        + "</div>"
    )
