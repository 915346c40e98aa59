"""Bundled data files, installed as ``sahel_geo._bundled`` (provenance: ``boundaries/README.md``, ``roads/README.md``, ``web/README.md``)."""
