"""The runnable SettleFL node: FL training, contribution scoring, the service and the ``settlefl`` CLI.

Installed as the package ``settlefl_node`` (its directory is ``node/``; a top-level package named
``node`` would clash with other distributions). Depends on :mod:`settlefl` (the protocol library);
nothing in :mod:`settlefl` imports from here.
"""
