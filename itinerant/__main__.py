"""Run the itinerant command line: ``python -m itinerant``."""

from itinerant.cli import main

main()
