"""The flow engine: RIFE-style intermediate-flow networks on CPU or GPU.

``model`` is the network (tensors only), ``engine`` drives it (padding, colour order, pre-aligned pairs with
:mod:`framer.motion`), ``drag`` moves content along drag tracks, ``zoo`` registers the models and their weights.
"""

from framer.engines.flow.engine import FlowEngine
from framer.engines.flow.model import IFNet, IFNetConfig, IFNetOutput

__all__ = ["FlowEngine", "IFNet", "IFNetConfig", "IFNetOutput"]
