"""Payments: one authorisation per order, captured or voided, then refunded in parts; the provider
(a card processor, a wallet, PayPal) behind one port."""
