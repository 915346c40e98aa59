"""Bundled data files, installed as ``sahel_geo._bundled``.

Provenance and licences: ``boundaries/README.md``, ``basemap/README.md`` (Natural Earth
rivers, lakes and capitals drawn under maps and map figures), ``roads/README.md``,
``web/README.md``.
"""
