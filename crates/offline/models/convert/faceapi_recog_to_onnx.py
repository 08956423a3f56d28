"""Build ONNX for face-api's FaceRecognitionNet (dlib ResNet-29 port) from its TF.js weights manifest. onnx+numpy only."""
import json, sys, os, numpy as np, onnx
from onnx import helper as H, numpy_helper as NH, TensorProto as TP
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quant import Q, dequantised
man, binp, dst = sys.argv[1:4]
buf = open(binp, 'rb').read(); off = 0; W = {}
for w in json.load(open(man))[0]['weights']:
    n = int(np.prod(w['shape'])); q = w.get('quantization')
    if q: W[w['name']] = Q(np.frombuffer(buf, np.uint8, n, off).reshape(w['shape']), q['scale'], q['min']); off += n
    else: W[w['name']] = np.frombuffer(buf, np.float32, n, off).copy().reshape(w['shape']); off += 4 * n
assert off == len(buf), (off, len(buf))
nodes, inits = [], []; cnt = [0]
def t(a, dt=np.float32):
    cnt[0] += 1; nm = f"c{cnt[0]}"
    if isinstance(a, Q):  # uint8 in the file; tract folds the dequantisation into a constant at load
        return dequantised(a, nm, inits, nodes)
    inits.append(NH.from_array(np.asarray(a, dt), nm)); return nm
def node(op, ins, **kw): cnt[0] += 1; o = f"{op}_{cnt[0]}"; nodes.append(H.make_node(op, ins, [o], **kw)); return o
def conv_layer(x, hw, p, stride, relu, valid):
    f = W[p + '/conv/filters']; k = f.shape[0]
    if valid: pads = [0, 0, 0, 0]; out = (hw - k) // stride + 1
    else:  # TF 'same' (stride 1): pad (k-1) split, extra at end
        tot = k - 1; pads = [tot // 2, tot // 2, tot - tot // 2, tot - tot // 2]; out = hw
    y = node('Conv', [x, t(f.transpose(3, 2, 0, 1)), t(W[p + '/conv/bias'])], kernel_shape=[k, k], strides=[stride, stride], pads=pads)
    y = node('Add', [node('Mul', [y, t(W[p + '/scale/weights'].reshape(-1, 1, 1))]), t(W[p + '/scale/biases'].reshape(-1, 1, 1))])
    return (node('Relu', [y]) if relu else y), out
def residual(x, hw, p):
    y, _ = conv_layer(x, hw, p + '/conv1', 1, True, False); y, _ = conv_layer(y, hw, p + '/conv2', 1, False, False)
    return node('Relu', [node('Add', [y, x])]), hw
def residual_down(x, hw, c_in, p):
    y, o = conv_layer(x, hw, p + '/conv1', 2, True, True); y, _ = conv_layer(y, o, p + '/conv2', 1, False, False)
    c_out = W[p + '/conv2/conv/filters'].shape[3]
    pooled = node('AveragePool', [x], kernel_shape=[2, 2], strides=[2, 2]); ph = hw // 2
    if ph != o:  # face-api appends a zero row/col (bottom/right) to the conv branch
        y = node('Pad', [y, t([0, 0, 0, 0, 0, 0, ph - o, ph - o], np.int64)])
    if c_out != c_in: pooled = node('Pad', [pooled, t([0, 0, 0, 0, 0, c_out - c_in, 0, 0], np.int64)])
    return node('Relu', [node('Add', [pooled, y])]), ph, c_out
x = node('Transpose', ['input'], perm=[0, 3, 1, 2])  # NHWC RGB, already (px - mean)/255
x, hw = conv_layer(x, 150, 'conv32_down', 2, True, True)
x = node('MaxPool', [x], kernel_shape=[3, 3], strides=[2, 2]); hw = (hw - 3) // 2 + 1; c = 32
for p in ['conv32_1', 'conv32_2', 'conv32_3']: x, hw = residual(x, hw, p)
for grp in [['conv64_down', 'conv64_1', 'conv64_2', 'conv64_3'], ['conv128_down', 'conv128_1', 'conv128_2'], ['conv256_down', 'conv256_1', 'conv256_2'], ['conv256_down_out']]:
    x, hw, c = residual_down(x, hw, c, grp[0])
    for p in grp[1:]: x, hw = residual(x, hw, p)
g = node('GlobalAveragePool', [x]); g = node('Flatten', [g], axis=1)
nodes.append(H.make_node('MatMul', [g, t(W['fc'])], ['embedding']))
graph = H.make_graph(nodes, 'faceapi_recognition', [H.make_tensor_value_info('input', TP.FLOAT, ['N', 150, 150, 3])],
                     [H.make_tensor_value_info('embedding', TP.FLOAT, ['N', 128])], inits)
m = H.make_model(graph, opset_imports=[H.make_opsetid('', 13)], producer_name='faceapi_recog_to_onnx.py'); m.ir_version = 8
onnx.checker.check_model(m); onnx.save(m, dst); print('saved', dst, os.path.getsize(dst), 'final hw', hw)
