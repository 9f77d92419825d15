"""The commerce domain: pure models and services, the ports they need, and the adapters
that connect those ports to AWS. Shared by every function as a Lambda layer."""
