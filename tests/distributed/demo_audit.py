"""Run ``glassgrad.demo`` (argv[2:]) under MPI, recording per rank what it writes.

Records every file opened for writing or renamed into place under the demo's
--out-dir, and whether a progress bar went to stderr, into argv[1] + ".rank<r>.json".
"""
import json
import os
import sys

from mpi4py import MPI

RANK = MPI.COMM_WORLD.Get_rank()
LOG, ARGV = sys.argv[1], sys.argv[2:]
OUT = os.path.abspath(ARGV[ARGV.index("--out-dir") + 1])
written, stderr_text = [], []


def audit(event, args):
    if event == "open" and isinstance(args[0], str) and args[1] and any(
            c in args[1] for c in "wax+"):
        path = os.path.abspath(args[0])
    elif event in ("os.rename", "os.replace"):
        path = os.path.abspath(str(args[1]))
    else:
        return
    if path.startswith(OUT):
        written.append(os.path.basename(path))


class Tee:
    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        stderr_text.append(text)
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


sys.addaudithook(audit)
sys.stderr = Tee(sys.stderr)
from glassgrad.demo import main  # noqa: E402

code = main(ARGV)
with open(f"{LOG}.rank{RANK}.json", "w") as f:
    json.dump({"code": code, "written": sorted(set(written)),
               "bar": "batch/s" in "".join(stderr_text)}, f)
sys.exit(code)
