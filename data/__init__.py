"""Bundled data files, installed as ``sahel_geo._bundled``.

Provenance and licences: ``boundaries/README.md``, ``roads/README.md``, ``web/README.md``.
"""
