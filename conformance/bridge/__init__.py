"""The out-of-process bridge: any product, in any language, over JSON lines (docs/reference/protocol.md).

* :mod:`.protocol`: the message shapes (their JSON Schema ships as ``specs/schema/bridge.schema.json``);
* :mod:`.transport`: a product process's stdin/stdout, or a TCP connection, read with deadlines
  and size limits;
* :mod:`.client`: ONE generic client driven by the spec's ``interface`` section: it validates
  arguments and results against the operations' JSON Schemas, so a new spec or operation needs no
  bridge code; every failure of the product becomes a typed exception with evidence, and the
  product is restarted for the next call;
* :mod:`.server`: serves any in-process product over the protocol (``orbitcert serve``).
"""

from .client import BridgeFailure, BridgeProduct, ProductReportedError, connect_product
from .protocol import MAX_MESSAGE

__all__ = ["MAX_MESSAGE", "BridgeFailure", "BridgeProduct", "ProductReportedError", "connect_product"]
