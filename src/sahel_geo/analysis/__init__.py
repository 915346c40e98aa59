"""Layer 2, compute: the analysis as pure functions.

In-memory frames, arrays and rasters in, the same out; no file or network I/O (checked by
``tests/test_layers.py``).
"""
