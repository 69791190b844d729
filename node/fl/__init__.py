"""Federated learning for the node: data, models, local training, FedAvg and contribution scoring.

Transport- and chain-independent on purpose: the aggregator service and the participant process (later
issues) move bytes and signatures around; everything that decides *what a model is worth* lives here, so
that it can be tested in one process and reproduced from a seed.

* :mod:`.data` -- the digits set (ships with scikit-learn), MNIST and CIFAR-10 from local files, the
  aggregator's held-out validation split, IID and Dirichlet splits across participants.
* :mod:`.models` -- a small MLP and a small CNN, described by a serializable :class:`~.models.ModelSpec`.
* :mod:`.weights` -- the canonical byte encoding of a model's parameters and its sha256 content hash.
* :mod:`.train` -- local training (SGD or Adam) and evaluation (loss, accuracy).
* :mod:`.aggregate` -- FedAvg weighted by sample count.
* :mod:`.scoring` -- contribution scoring by the aggregator on its own validation set (marginal loss,
  leave-one-out, Monte-Carlo Shapley), turned into integer units within a round's budget.
* :mod:`.simulate` -- honest and adversarial participants (free rider, sign flip, noise) in one process,
  for tests and ``bench/fl.py``.

Nothing here ever trusts a number a participant reports about its own model: scores come from the
aggregator's validation loss only. The one self-reported input is the sample count that weights FedAvg
(see :mod:`.aggregate`).
"""
