"""The flow engine: RIFE-style intermediate-flow networks on CPU or GPU."""

from framer.engines.flow.engine import FlowEngine
from framer.engines.flow.model import IFNet, IFNetConfig, IFNetOutput

__all__ = ["FlowEngine", "IFNet", "IFNetConfig", "IFNetOutput"]
