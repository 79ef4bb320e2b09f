"""Civil-affairs facilities, population base, the plan's indicators, service circles and siting."""
