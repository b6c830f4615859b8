"""User text (tensor names, scope paths, titles) made safe for DOT and Graphviz labels.

Graphviz rejects HTML-like labels holding control characters (NUL, ESC of an ANSI
colour code, form feed), characters XML forbids (lone surrogates, U+FFFE/U+FFFF)
empty bold text and bold text made only of "]", and a NUL ends a quoted DOT id early. So every piece of user
text goes through ``clean`` (shown) or ``safe_id`` (an id), which write such
characters the way Python's ``repr`` does::

    >>> clean("\\x1b[31mloss\\x1b[0m")
    '\\\\x1b[31mloss\\\\x1b[0m'
    >>> clean("\\t")
    "'\\\\t'"
    >>> esc('a < "b"')
    'a &lt; &quot;b&quot;'
"""
import html
import re

MAX_TEXT = 60       # longer names are shortened (with an ellipsis) in labels

# C0/C1 controls, DEL, surrogates and the two XML non-characters of the BMP
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile(r"[&<>\"'\]]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_char(match):
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text, limit=MAX_TEXT):
    """``text`` as it can be shown: bad characters escaped, blank text quoted (so a
    name of only spaces or tabs is visible), and at most ``limit`` characters."""
    text = str(text)
    if not text.strip():
        text = repr(text)
    if _BAD.search(text) is not None:
        text = _BAD.sub(_escape_char, text)
    if limit is not None and len(text) > limit:
        text = text[:limit - 1] + "\u2026"
    return text


def esc(text, limit=MAX_TEXT):
    """``clean`` text escaped for a Graphviz HTML-like label."""
    text = clean(text, limit)
    if _SPECIAL.search(text) is None:
        return text
    # "]" as a character reference: Graphviz 2.43 rejects text that is only "]"s
    # (``<b>]</b>`` is a syntax error there), and the reference is the same character.
    return html.escape(text, quote=True).replace("]", "&#93;")


def safe_id(text):
    """A DOT id for user text (a scope path): distinct texts give distinct ids, and
    nothing in it can end the quoted string or upset Graphviz."""
    text = str(text)
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(_escape_char, text.replace("\\", "\\\\"))


def quote(text):
    """A double-quoted DOT id or string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def table(rows, cellpadding=1):
    """An HTML-like label: one cell per row (rows are label markup already)."""
    cells = "".join(f"<tr><td>{r}</td></tr>" for r in rows)
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="{cellpadding}">'
            f"{cells}</table>>")
