"""``python -m settlefl_node``: the ``settlefl`` command line (the demo starts its processes this way)."""

from settlefl_node.cli import main

main()
