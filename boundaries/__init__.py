"""Administrative divisions, boundary lines, markers, joint inspections, telemetry and disputes."""
