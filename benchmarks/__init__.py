"""Side-by-side benchmarks: ``python -m benchmarks [suite ...]`` (``make bench``)."""
