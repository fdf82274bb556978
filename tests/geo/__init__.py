"""Tests of itinerant.geo (road networks and travel matrices)."""
