"""Documentation checked against the code it describes."""
