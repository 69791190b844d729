"""The aggregator's HTTP service: registration, the global model, signed updates, receipts, status."""
