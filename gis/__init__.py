"""Core of wuhai-gis: database engines, CRS handling and GIS file I/O (no web, no domain)."""
