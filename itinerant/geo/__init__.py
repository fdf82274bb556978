"""Road networks (OpenStreetMap through osmnx) and travel matrices."""
