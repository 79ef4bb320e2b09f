"""Ingestion, the Wuhai reference dataset, migrations and the command line."""
