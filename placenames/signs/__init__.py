"""Place-name signs (地名标志) and house numbers: inventory, audit, work orders, numbering, addresses."""
