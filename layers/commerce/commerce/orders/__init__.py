"""Orders: checkout pricing, the order aggregate and its fulfilment."""
