"""Messages and the buses that carry them: commands ask, events tell, queries read."""
