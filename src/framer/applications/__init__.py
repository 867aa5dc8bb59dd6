"""The paper's applications as ready-made jobs, built from the engines, the motion model and the matcher.

Each module is one application with one API function (the CLI command of the same name is a thin layer over it):
``morph`` (two different subjects, a geometric morph from correspondences), ``timelapse`` (stills far apart:
exposure blended, jitter stabilised), ``cartoon`` (line art: single sharp lines, flat colour, held drawings),
``loop`` (a clip whose end flows back into its start) and ``views`` (in-between viewpoints of a static scene).
Importing this package loads no PyTorch; each module loads what it needs.
"""
