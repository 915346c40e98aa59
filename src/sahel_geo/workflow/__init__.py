"""Layer 4, run: config files, the end-to-end pipeline, its manifest and the ``sahel-geo`` command."""
