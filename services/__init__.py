"""Payment, invoice, order, listing and notification code; synchronous, one transaction per call."""
