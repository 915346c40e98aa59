"""Layer 0, base: errors, options, schemas, step reports, validation, geodesy, the raster type."""
