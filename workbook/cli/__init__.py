"""The ``branch-assess`` command line: one module per command over the core."""
