"""Breaking it on purpose: injected faults, in-order delivery, dead letters, and the consistency check."""
