"""Standard place names, romanization, naming procedure, search, and place-name signs."""
