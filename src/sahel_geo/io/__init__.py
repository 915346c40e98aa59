"""Readers and writers: files, bundled data and online sources with local-file twins."""
