"""SettleFL: trustless reward settlement for federated learning on EVM chains.

The protocol library. It holds the parts every role shares and must agree on bit for bit with the
circuits and the contract: field and hash primitives (:mod:`settlefl.crypto`), the reward state and its
commitment (:mod:`settlefl.state`). It never imports ML code; the runnable node lives in ``node/``.
"""

__version__ = "0.1.0"
