"""On-demand benchmarks (run from the repository root: ``python -m benchmarks.<script>``)."""
