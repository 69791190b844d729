"""The runnable SettleFL node: FL training, contribution scoring, the service and the ``settlefl`` CLI.

Depends on :mod:`settlefl` (the protocol library); nothing in :mod:`settlefl` imports from here.
"""
