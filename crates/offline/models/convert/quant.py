"""uint8-quantised TF.js weights kept quantised in ONNX: shared by both converters."""
import numpy as np
from onnx import helper as H, numpy_helper as NH, TensorProto as TP


class Q:
    """A uint8-quantised tensor (value = q * scale + min), kept quantised in the ONNX file."""
    def __init__(s, q, scale, mn): s.q, s.scale, s.min = q, scale, mn
    @property
    def shape(s): return s.q.shape
    def transpose(s, *p): return Q(s.q.transpose(*p), s.scale, s.min)
    def reshape(s, *p): return Q(s.q.reshape(*p), s.scale, s.min)


def dequantised(a, name, inits, nodes):
    """Adds `a` (a Q) as uint8 with Cast -> Mul -> Add producing `name`; tract folds it at load."""
    inits.append(NH.from_array(np.ascontiguousarray(a.q), name + "_q"))
    inits.append(NH.from_array(np.asarray(a.scale, np.float32), name + "_s"))
    inits.append(NH.from_array(np.asarray(a.min, np.float32), name + "_m"))
    nodes.append(H.make_node('Cast', [name + "_q"], [name + "_f"], to=TP.FLOAT))
    nodes.append(H.make_node('Mul', [name + "_f", name + "_s"], [name + "_x"]))
    nodes.append(H.make_node('Add', [name + "_x", name + "_m"], [name]))
    return name
