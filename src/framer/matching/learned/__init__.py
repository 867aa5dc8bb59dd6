"""Learned keypoint matchers for the autopilot, written for framer: XFeat + LighterGlue and DISK + LightGlue.

These modules import torch; :mod:`framer.matching.matchers` imports them only when a learned matcher is used, so
``import framer.matching`` stays light.
"""
