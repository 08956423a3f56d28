"""Convert a TF.js *layers* model (Keras 2.x JSON + weight shards) to ONNX, using only onnx+numpy.
Supports the layer subset of nsfwjs' MobileNetV2: InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D,
BatchNormalization, ReLU(max_value), Activation, Add, AveragePooling2D, MaxPooling2D, Flatten, Dense, Dropout, Concatenate."""
import json, sys, os, numpy as np, onnx
from onnx import helper as H, numpy_helper as NH, TensorProto as TP
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quant import Q, dequantised
src, dst = sys.argv[1], sys.argv[2]
j = json.load(open(src)); d = os.path.dirname(src)
# ---- weights
W = {}
for grp in j['weightsManifest']:
    buf = b''.join(open(os.path.join(d, p), 'rb').read() for p in grp['paths']); off = 0
    for w in grp['weights']:
        n = int(np.prod(w['shape'])) if w['shape'] else 1; q = w.get('quantization')
        if q:
            qdt = {'uint8': np.uint8, 'uint16': np.uint16, 'float16': np.float16}[q['dtype']]
            raw = np.frombuffer(buf, qdt, n, off); off += n * raw.itemsize
            if q['dtype'] == 'uint8': W[w['name']] = Q(raw.reshape(w['shape']), q['scale'], q['min']); continue
            arr = raw.astype(np.float32)
        else:
            raw = np.frombuffer(buf, {'float32': np.float32, 'int32': np.int32}[w['dtype']], n, off); off += n * raw.itemsize; arr = raw
        W[w['name']] = arr.reshape(w['shape']).astype(np.float32)
layers = j['modelTopology']['model_config']['config']['layers']
nodes, inits = [], []
def init(name, arr, dt=None):
    if isinstance(arr, Q):  # uint8 in the file; tract folds the dequantisation into a constant at load
        return dequantised(arr, name, inits, nodes)
    inits.append(NH.from_array(np.asarray(arr, dt) if dt else np.asarray(arr, np.float32), name)); return name
def w(layer, k): return W[f"{layer}/{k}"]
def act(name, x, a):
    if a in (None, 'linear'): return x
    o = name + '_' + a
    if a == 'relu': nodes.append(H.make_node('Relu', [x], [o]))
    elif a == 'softmax': nodes.append(H.make_node('Softmax', [x], [o], axis=-1))
    elif a == 'sigmoid': nodes.append(H.make_node('Sigmoid', [x], [o]))
    else: raise SystemExit(f'activation {a}')
    return o
def same_pads(k, s, size):
    # TF 'same': total pad = max(k - s, 0) when size % s == 0 (true for this model); extra at end
    tot = max(k - s, 0) if size is None or size % s == 0 else max(k - size % s, 0)
    return tot // 2, tot - tot // 2
out = {}
for L in layers:
    c, n, cls = L['config'], L['name'], L['class_name']
    ins = [out[i[0]] for i in L['inbound_nodes'][0]] if L['inbound_nodes'] else []
    if cls == 'InputLayer':
        inp = H.make_tensor_value_info(n, TP.FLOAT, ['N'] + c['batch_input_shape'][1:])
        nodes.append(H.make_node('Transpose', [n], [n + '_nchw'], perm=[0, 3, 1, 2])); out[n] = n + '_nchw'; continue
    x = ins[0]
    if cls == 'ZeroPadding2D':
        (t, b), (l, r) = c['padding']
        nodes.append(H.make_node('Pad', [x, init(n + '_p', [0, 0, t, l, 0, 0, b, r], np.int64)], [n]))
    elif cls in ('Conv2D', 'DepthwiseConv2D'):
        k = c['kernel_size']; s = c['strides']
        if cls == 'Conv2D': ker = w(n, 'kernel').transpose(3, 2, 0, 1); group = 1
        else:
            dk = w(n, 'depthwise_kernel'); ker = dk.transpose(2, 3, 0, 1).reshape(-1, 1, k[0], k[1]); group = dk.shape[2]
        pads = [0, 0, 0, 0]
        if c['padding'] == 'same':
            (pt, pb), (pl, pr) = same_pads(k[0], s[0], None), same_pads(k[1], s[1], None); pads = [pt, pl, pb, pr]
        ii = [x, init(n + '_W', ker)] + ([init(n + '_B', w(n, 'bias'))] if c['use_bias'] else [])
        nodes.append(H.make_node('Conv', ii, [n + '_conv'], kernel_shape=k, strides=s, pads=pads, group=group,
                                 dilations=c.get('dilation_rate', [1, 1])))
        out[n] = act(n, n + '_conv', c.get('activation')); continue
    elif cls == 'BatchNormalization':
        g = w(n, 'gamma') if c['scale'] else None; b_ = w(n, 'beta') if c['center'] else None
        mean, var = w(n, 'moving_mean'), w(n, 'moving_variance')
        g = np.ones(mean.shape, np.float32) if g is None else g; b_ = np.zeros(mean.shape, np.float32) if b_ is None else b_
        nodes.append(H.make_node('BatchNormalization', [x, init(n + '_g', g), init(n + '_b', b_), init(n + '_m', mean), init(n + '_v', var)], [n], epsilon=c['epsilon']))
    elif cls == 'ReLU':
        mv = c.get('max_value')
        if c.get('negative_slope', 0) or c.get('threshold', 0): raise SystemExit('leaky relu')
        nodes.append(H.make_node('Clip', [x, init(n + '_lo', 0.0), init(n + '_hi', float(mv))] if mv is not None else [x, init(n + '_lo', 0.0)], [n]))
    elif cls == 'Activation': out[n] = act(n, x, c['activation']); continue
    elif cls == 'Add': nodes.append(H.make_node('Add', ins, [n]))
    elif cls == 'Concatenate': nodes.append(H.make_node('Concat', ins, [n], axis=1 if c.get('axis', -1) in (-1, 3) else c['axis']))
    elif cls in ('AveragePooling2D', 'MaxPooling2D'):
        if c['padding'] != 'valid': raise SystemExit('pool padding')
        nodes.append(H.make_node('AveragePool' if cls[0] == 'A' else 'MaxPool', [x], [n], kernel_shape=c['pool_size'], strides=c['strides']))
    elif cls == 'Flatten':  # back to NHWC order before flattening, as Keras does
        nodes.append(H.make_node('Transpose', [x], [n + '_nhwc'], perm=[0, 2, 3, 1])); nodes.append(H.make_node('Flatten', [n + '_nhwc'], [n], axis=1))
    elif cls == 'Dense':
        nodes.append(H.make_node('Gemm', [x, init(n + '_W', w(n, 'kernel')), init(n + '_B', w(n, 'bias'))], [n + '_mm']))
        out[n] = act(n, n + '_mm', c.get('activation')); continue
    elif cls == 'Dropout': out[n] = x; continue
    else: raise SystemExit(f'unsupported layer {cls}')
    out[n] = n
final = out[j['modelTopology']['model_config']['config']['output_layers'][0][0]]
nodes.append(H.make_node('Identity', [final], ['probabilities']))
g = H.make_graph(nodes, 'converted', [inp], [H.make_tensor_value_info('probabilities', TP.FLOAT, ['N', None])], inits)
m = H.make_model(g, opset_imports=[H.make_opsetid('', 13)], producer_name='keras_tfjs_to_onnx.py')
m.ir_version = 8; onnx.checker.check_model(m); onnx.save(m, dst); print('saved', dst, os.path.getsize(dst))
