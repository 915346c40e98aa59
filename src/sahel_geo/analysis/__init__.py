"""Layer 2, compute: pure functions on in-memory frames, arrays and rasters (no file or network I/O)."""
