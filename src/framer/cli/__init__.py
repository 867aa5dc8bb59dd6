"""The ``framer`` command line: a thin layer over the Python API (the library never imports this package)."""
