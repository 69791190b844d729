"""The roles as engines: aggregator, participant, watchtower (the auditor is in :mod:`settlefl.audit`).

Each engine works on one job from its own SQLite store and acts on chain time; it knows nothing of the
transport (an HTTP service, a Flower strategy, a test moving receipts by hand) or of the ML code.
"""
