"""Execute every notebook in a folder (outputs are not written back); fail on the first error."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main(folder: str) -> int:
    paths = sorted(Path(folder).glob("*.ipynb"))
    for path in paths:
        start = time.time()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        # Notebooks show the current names: a deprecated virkning keyword is a failure.
        old = [o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
               if "DeprecationWarning" in o.get("text", "") and "will be removed in the next release" in o.get("text", "")]
        if old:
            print(f"notebook {path.name}: uses deprecated keywords:\n{''.join(old)}")
            return 1
        print(f"notebook {path.name}: ok ({time.time() - start:.1f} s)")
    print(f"{len(paths)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "notebooks"))
