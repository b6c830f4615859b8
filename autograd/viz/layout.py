"""Which boxes a drawing has, and which way it runs.

* ``Layout`` maps every traced key to the DOT node that draws it: itself, or the
  box of a collapsed module (``collapse=k`` folds each module deeper than ``k``
  levels into one box), and keeps the ``max_nodes`` nearest the roots.
* ``auto_collapse`` picks ``k`` for ``collapse="auto"``: no folding for small graphs,
  otherwise the deepest level that keeps the drawing under ``AUTO_NODES`` boxes.
* ``auto_rankdir`` picks the direction for ``rankdir="auto"``: left to right when
  the picture fits a notebook column that way (it reads like the formula),
  otherwise whichever of left-to-right and top-to-bottom is narrower. Widths are
  estimated from the labels' text (no Graphviz run), so ``to_dot`` stays
  deterministic and needs no program.
"""
import re

AUTO_NODES = 40         # collapse="auto" folds modules when a graph has more boxes
FIT_WIDTH = 700         # points: a left-to-right picture this wide fits a column
CHAR_WIDTH = 6.0        # points per character of 10-pt Helvetica, on average
BOX_PAD = 18            # points of box margin
RANK_SEP = 36           # Graphviz's default ranksep (0.5 in) and nodesep (0.25 in)
NODE_SEP = 18

_TAGS = re.compile(r"<[^>]*>")
_ROWS = re.compile(r"</tr>")
_ENTITY = re.compile(r"&[#\w]+;")


class Layout:
    """Which DOT node (a tensor, a constant or a collapsed module) each key maps to."""

    def __init__(self, graph, group_modules, collapse, max_nodes):
        self.rep, self.place, self.members = {}, {}, {}
        roots = set(graph.roots)
        for key in graph.order:
            scope = graph.scope(key)
            rep = key
            if collapse is not None and scope is not None:
                parts = scope.split(".")
                if len(parts) > collapse:
                    scope = ".".join(parts[:collapse]) or None
                    if key not in roots:      # an output stays visible beside its box
                        rep = "module:" + ".".join(parts[:collapse + 1])
                        self.members.setdefault(rep, []).append(key)
            self.rep[key] = rep
            if rep not in self.place:
                self.place[rep] = scope if group_modules else None
        reps = list(self.place)          # discovery order: nearest the roots first
        limit = len(reps) if max_nodes is None else max_nodes
        self.visible = dict.fromkeys(reps[:limit])
        self.hidden = len(reps) - len(self.visible)
        self.max_nodes = max_nodes
        self.collapse = collapse
        self.position = {}               # drawn node -> creation order (its first op)
        for key in graph.order:
            rep = self.rep[key]
            if rep in self.visible:
                pos = _position(graph, key)
                if rep not in self.position or pos < self.position[rep]:
                    self.position[rep] = pos

    def in_creation_order(self, reps):
        """``reps`` sorted as the forward pass made them (Graphviz keeps the order of
        the DOT text where it can, so inputs come out left of or above their users)."""
        return sorted(reps, key=self.position.__getitem__)


def auto_collapse(graph, limit=AUTO_NODES):
    """``k`` for ``collapse="auto"``: None if the graph has at most ``limit`` nodes or
    no modules, else the deepest level whose folding leaves at most ``limit`` boxes
    (0, everything folded to top-level modules, if none does)."""
    if len(graph) <= limit:
        return None
    scopes = [graph.scope(k) for k in graph.order]
    parts = [s.split(".") for s in scopes if s is not None]
    if not parts:
        return None
    outside = len(scopes) - len(parts)
    deepest = max(len(p) for p in parts)
    for k in range(deepest - 1, -1, -1):
        boxes = {tuple(p[:k + 1]) for p in parts if len(p) > k}
        kept = sum(1 for p in parts if len(p) <= k)
        if outside + kept + len(boxes) <= limit:
            return k
    return 0


def label_width(label):
    """Estimated width in points of an HTML-like label (its longest row of text)."""
    rows = _ROWS.split(label) if "</tr>" in label else [label]
    longest = 0
    for row in rows:
        text = _ENTITY.sub("x", _TAGS.sub(" ", row))
        n = len(" ".join(text.split()))
        if n > longest:
            longest = n
    return longest * CHAR_WIDTH + BOX_PAD


def auto_rankdir(layout, graph, widths):
    """"LR" or "TB" (see the module docstring); ``widths``: DOT node -> points."""
    order = layout.position
    consumers = {}
    for src, dst, _ in graph.edges:
        a, b = layout.rep[src], layout.rep[dst]
        if a != b and a in order and b in order and order[a] < order[b]:
            consumers.setdefault(a, []).append(b)
    rank = {}
    for rep in sorted(order, key=order.__getitem__, reverse=True):   # roots first
        rank[rep] = max((rank[c] + 1 for c in consumers.get(rep, ()) if c in rank), default=0)
    by_rank = {}
    for rep, r in rank.items():
        by_rank.setdefault(r, []).append(widths.get(rep, 100.0))
    lr = sum(max(ws) for ws in by_rank.values()) + RANK_SEP * (len(by_rank) - 1)
    tb = max(sum(ws) + NODE_SEP * (len(ws) - 1) for ws in by_rank.values())
    if lr <= FIT_WIDTH or lr <= tb:
        return "LR"
    return "TB"


def _position(graph, key):
    """Creation order of an op result; a leaf or constant sits just before the first
    node it feeds (a parameter is created long before it is used)."""
    t = graph.tensors.get(key)
    if t is not None and t.grad_fn is not None:
        return t._index
    if t is None:
        return graph.constants[key][1].index - 0.5
    users = graph.consumers.get(key)
    if not users:
        return t._index
    return min(graph.tensors[c]._index for c in users) - 0.5



def beside(layout, graph):
    """(input, consumer) pairs to draw side by side: every leaf or constant that feeds
    exactly one drawn node sits on that node's rank (a layer's weight and bias flank
    its op instead of taking a rank of their own, which pushed each layer's cluster
    beside the previous one and made deep models drift sideways)."""
    users = {}
    for src, dst, _ in graph.edges:
        a, b = layout.rep[src], layout.rep[dst]
        if a != b and a in layout.visible and b in layout.visible:
            users.setdefault(a, set()).add(b)
    pairs = []
    for rep, targets in users.items():
        if len(targets) != 1 or rep.startswith("module:"):
            continue
        t = graph.tensors.get(rep)
        if t is None or t.grad_fn is None:
            pairs.append((rep, next(iter(targets))))
    return pairs
