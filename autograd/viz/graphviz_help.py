"""What drawing needs from Graphviz, and the messages when it is missing (shared by
``render.py``, which must not import graphviz, and ``digraph.py``, which does)."""

INSTALL_HELP = (
    "Drawing the graph needs the Graphviz 'dot' program, which was not found on PATH. "
    "Install it with one of:\n"
    "    apt-get install graphviz      (Debian/Ubuntu)\n"
    "    brew install graphviz         (macOS)\n"
    "    conda install graphviz        (conda)\n"
    "    winget install graphviz       (Windows; then add it to PATH)\n"
    "The Python package alone is not enough. Without the program you can still get "
    "the DOT text with autograd.to_dot(...) and paste it into any Graphviz viewer.")

FORMATS = ("svg", "png", "jpeg", "jpg")


PACKAGE_HELP = (
    "Drawing the graph needs the graphviz Python package, which is not installed: "
    "pip install graphviz (pip install -e . installs it with glassgrad). Without it "
    "autograd.to_dot(...) still gives the DOT text.")
