"""How big text looks when Graphviz's SVG is shown in a notebook column.

A notebook shows an SVG at its natural size (1 pt = 4/3 px) unless it is wider than
the column, when it is scaled down to fit; Graphviz's own ``size`` attribute scales
the drawing inside the SVG (its transform). The smallest text must stay legible.
"""
import re

COLUMN_PX = 1000
MIN_TEXT_PX = 9.0


def smallest_text_px(svg, column=COLUMN_PX):
    """Height in px of the smallest text of ``svg`` shown in a ``column``-px column."""
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([-\d. ]+)"', svg)
    width_pt = float(m.group(1))
    view_width = float(m.group(3).split()[2])
    scale = re.search(r'class="graph" transform="scale\(([\d.]+)', svg)
    unit_px = (width_pt * 4 / 3) / view_width * (float(scale.group(1)) if scale else 1.0)
    shown = min(1.0, column / (width_pt * 4 / 3))
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return min(sizes) * unit_px * shown
