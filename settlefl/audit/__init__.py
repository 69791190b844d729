"""Auditing a job from chain data alone (issue 9): :func:`settlefl.audit.auditor.audit` and its report.

Nothing here imports the FL node or any ML library, and :mod:`settlefl.audit.groth16` shares no code with
the provers, so an auditor needs only the chain, the contract's ABI and the build manifests it trusts.
"""
