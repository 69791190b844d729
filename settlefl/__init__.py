"""SettleFL: trustless reward settlement for federated learning on EVM chains.

The protocol library. It holds the parts every role shares and must agree on bit for bit with the
circuits and the contract: field and hash primitives (:mod:`settlefl.crypto`), the reward state and its
commitment (:mod:`settlefl.state`), the circuit builds and provers (:mod:`settlefl.circuits`). It never
imports ML code; the runnable node is the package ``settlefl_node`` (directory ``node/``). The protocol it
implements is docs/protocol.md; where it finds what lives outside the code, :mod:`settlefl.settings`;
the errors it raises, :mod:`settlefl.errors`.
"""

__version__ = "0.1.0"
