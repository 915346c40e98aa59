"""Bundled data files, installed as ``sahel_geo._bundled`` (see ``boundaries/README.md``)."""
