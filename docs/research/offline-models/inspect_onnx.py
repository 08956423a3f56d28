import sys, os, collections, onnx
for p in sys.argv[1:]:
    m = onnx.load(p, load_external_data=False)
    g = m.graph
    inits = {i.name for i in g.initializer}
    print(f"## {p}\n size={os.path.getsize(p)} ir={m.ir_version} producer={m.producer_name} {m.producer_version}")
    print(" opsets:", [(o.domain or 'ai.onnx', o.version) for o in m.opset_import])
    def shp(v):
        t=v.type.tensor_type
        return [d.dim_param or d.dim_value for d in t.shape.dim], onnx.TensorProto.DataType.Name(t.elem_type)
    for v in g.input:
        if v.name not in inits: print(" input:", v.name, shp(v))
    for v in g.output: print(" output:", v.name, shp(v))
    ops = collections.Counter()
    def walk(graph):
        for n in graph.node:
            ops[(n.domain or '') + n.op_type] += 1
            for a in n.attribute:
                if a.g.node: walk(a.g)
                for sg in a.graphs: walk(sg)
    walk(g)
    print(" ops:", dict(sorted(ops.items())))
    md = {p.key: (p.value[:80] + ('...' if len(p.value)>80 else '')) for p in m.metadata_props}
    if md: print(" metadata:", {k: (v if k!='character' else f'{len(dict((p.key,p.value) for p in m.metadata_props)[k].splitlines())} lines') for k,v in md.items()})
    # notable attrs
    notes=set()
    for n in g.node:
        if n.op_type in ('Resize','Upsample'):
            notes.add((n.op_type, tuple((a.name, a.s.decode() if a.s else a.i) for a in n.attribute)))
    for x in notes: print(" attr:", x)
