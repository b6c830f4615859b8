"""Gradient flow at a glance: each edge drawn by the norm of the gradient along it.

With ``grad_flow=True`` an edge's width and colour show ``‖g‖``, the Euclidean norm
of the gradient that flowed back along it, on a log scale relative to the largest
norm in the picture: the largest is thick and dark red, every decade below is
thinner and paler, down to ``DECADES`` decades (hairline grey). Vanishing gradients
(a deep sigmoid net) fade towards the inputs; exploding ones grow towards them;
healthy ones (ReLU + BatchNorm) stay about the same width all the way. The legend
shows the scale in absolute numbers.

>>> scale = FlowScale([1.0, 1e-3])
>>> scale.width(1.0) > scale.width(1e-3), scale.colour(1.0) != scale.colour(1e-3)
(True, True)
"""
import math

from .summary import fmt_number
from .text import esc

DECADES = 8                 # norms this many decades below the largest are hairlines
MAX_WIDTH = 7.0
MIN_WIDTH = 0.4
# dark red -> orange -> yellow -> green -> teal -> blue -> grey, over DECADES decades
COLOURS = ("#b71c1c", "#e65100", "#f9a825", "#9e9d24", "#2e7d32", "#00838f", "#1565c0",
           "#5c6bc0", "#9e9e9e")
NO_FLOW = "#cfcfcf"         # edges along which no gradient flowed


def _rgb(colour):
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


class FlowScale:
    """Maps gradient norms to widths and colours (a log scale below the largest)."""

    def __init__(self, norms):
        norms = [n for n in norms if n is not None and math.isfinite(n) and n > 0]
        self.top = max(norms) if norms else None

    def decades_below(self, n):
        """How many decades ``n`` is below the largest norm (0 .. DECADES)."""
        if self.top is None or n is None or not n > 0 or not math.isfinite(n):
            return float(DECADES)
        return min(float(DECADES), max(0.0, math.log10(self.top / n)))

    def width(self, n):
        d = self.decades_below(n)
        return round(MAX_WIDTH - (MAX_WIDTH - MIN_WIDTH) * d / DECADES, 2)

    def colour(self, n):
        """The colour ``d`` decades below the largest: between the stops of COLOURS."""
        d = self.decades_below(n) * (len(COLOURS) - 1) / DECADES
        k = min(len(COLOURS) - 2, int(d))
        a, b = _rgb(COLOURS[k]), _rgb(COLOURS[k + 1])
        t = d - k
        return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))

    def attrs(self, n):
        """DOT edge attributes for norm ``n`` (None: no gradient flowed)."""
        if n is None:
            return f'color="{NO_FLOW}" penwidth=0.5 style=dashed'
        return f'color="{self.colour(n)}" penwidth={self.width(n)}'

    def legend_rows(self):
        """Rows for the legend table: one sample line per two decades, labelled."""
        rows = ["<tr><td colspan=\"2\"><b>gradient norm ‖g‖ per edge</b></td></tr>"]
        if self.top is None:
            rows.append('<tr><td colspan="2">(no gradient flowed)</td></tr>')
            return rows
        for d in range(0, DECADES + 1, 2):
            n = self.top / 10 ** d
            colour, width = self.colour(n), self.width(n)
            bar = max(1, int(round(width * 1.6)))
            rows.append(f'<tr><td bgcolor="{colour}" width="40" height="{bar}" fixedsize="true" cellpadding="0">'
                        f'</td><td align="left">{esc(fmt_number(n))}'
                        f'{" (largest)" if d == 0 else ""}'
                        f'{" or less" if d == DECADES else ""}</td></tr>')
        rows.append(f'<tr><td bgcolor="{NO_FLOW}" width="40" height="1" fixedsize="true" cellpadding="0">'
                    '</td><td align="left">no gradient</td></tr>')
        return rows
