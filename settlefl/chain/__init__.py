"""Talking to a chain: the connection and sender, typed bindings to SettleFL, histories, deployments."""
