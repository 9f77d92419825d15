"""The customer wallet: a balance per customer kept as a double-entry ledger (admin credits, store
credit for refunds, holds for wallet checkouts), and the rules that keep it from going negative."""
