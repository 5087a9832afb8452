import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# Subprocesses (``python -m sim``, the ``groupsim`` script) import the package of this
# checkout, not whichever one the environment has installed in editable mode.
ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
