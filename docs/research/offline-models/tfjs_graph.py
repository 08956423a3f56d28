import json, sys, collections, os
for p in sys.argv[1:]:
    j = json.load(open(p))
    mt = j.get('modelTopology', {})
    fmt = j.get('format'); gen = j.get('generatedBy'); conv = j.get('convertedBy')
    nodes = mt.get('node', [])
    ops = collections.Counter(n['op'] for n in nodes)
    bins = [x for m in j.get('weightsManifest', []) for x in m['paths']]
    dtypes = collections.Counter((w.get('dtype'), (w.get('quantization') or {}).get('dtype')) for m in j.get('weightsManifest', []) for w in m['weights'])
    size = sum(os.path.getsize(os.path.join(os.path.dirname(p), b)) for b in bins if os.path.exists(os.path.join(os.path.dirname(p), b)))
    print(f"## {p} format={fmt} gen={gen} conv={conv} bin={size}")
    ins = [n for n in nodes if n['op'] == 'Placeholder']
    for n in ins:
        shape = n.get('attr', {}).get('shape', {}).get('shape', {}).get('dim', [])
        print("  input:", n['name'], [d.get('size') for d in shape])
    sig = j.get('signature') or mt.get('signature')
    if sig: print("  signature:", json.dumps(sig)[:400])
    if mt.get('class_name'): print("  keras:", mt.get('class_name'), collections.Counter(l['class_name'] for l in mt['model_config']['config']['layers']) if 'model_config' in mt else '')
    print("  ops:", dict(sorted(ops.items())))
    print("  weights dtypes:", dict(dtypes))
    if j.get('userDefinedMetadata'): print("  meta:", str(j['userDefinedMetadata'])[:300])
