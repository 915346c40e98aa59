"""Layer 4, run: config files, the end-to-end pipeline, its manifest, the ``sahel-geo`` command.

(The folder is ``workflow`` rather than ``run`` so that ``sahel_geo.run``, the function,
is not shadowed by a package of the same name.)
"""
