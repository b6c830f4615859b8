"""Train an MLP or a small CNN on the shipped 8x8 digits: ``python -m glassgrad.demo --help``.

The run: load the 1,797 digits (no download), split them into train / validation /
test sets (stratified, seeded), standardise every pixel with the training set's
mean and std, then train with Adam on mini-batches of the label-smoothed
cross-entropy

    L = -(1/B) sum_i sum_c q_ic log softmax(f(x_i))_c,   q_ic = (1 - eps)[c = y_i] + eps/10,

showing a tqdm bar with the running loss and accuracy (a line per epoch without
tqdm). After every epoch a checkpoint is written (model, optimizer, epoch, history,
early-stopping state, the run's configuration); ``--resume`` continues from it exactly
where it stopped, and refuses flags that would change the model or the data. Ctrl-C
says which checkpoint holds the run, or that none does yet. At the end it prints the
test accuracy (and the loss floor that label smoothing sets) and writes into
``--out-dir`` (default ``runs/``; with ``--resume``, the checkpoint's folder):

* ``<model>_curves.png``: train/val loss and accuracy per epoch (matplotlib, Agg);
* ``<model>_graph.svg``: the computational graph of one forward pass and loss on a
  few test images, with every gradient and a cluster per layer
  (``autograd.draw_graph``; without the Graphviz ``dot`` program the DOT text goes to
  ``<model>_graph.dot``), and next to it ``<model>_graph.html``, a walk-through of that
  backward pass one node per step that plays in any browser (``autograd.viz.play``);
* ``<model>_checkpoint.npz``: ``nn.save`` of the state above (``nn.load`` reads it).

Everything random (split, init, shuffles, dropout) follows ``--seed``.
"""
from .cli import DemoError, build_parser, resolve_config  # noqa: F401
from .checkpoint import read_checkpoint  # noqa: F401
from .models import build_model, load_splits  # noqa: F401
from .pictures import write_graph  # noqa: F401
from .run import main, run  # noqa: F401
