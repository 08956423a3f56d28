import sys, time, numpy as np, tract
def load(path, fact, optimise=True):
    t=time.time()
    m = tract.onnx().load(path)
    m.set_input_fact(0, fact)
    model = m.into_model()
    rt = tract.runtime_for_name("default")
    r = rt.prepare(model)
    print(f"  loaded {path} fact={fact} in {time.time()-t:.2f}s; out facts {[str(f) for f in r.output_facts()]}")
    return r
def run(r, x):
    t=time.time(); out = r.run([x]); dt=time.time()-t
    outs=[o.to_numpy() for o in out]
    print(f"  ran {x.shape} in {dt:.2f}s -> {[o.shape for o in outs]}")
    return outs
if __name__ == "__main__":
    path, fact, shape = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(',')]
    r = load(path, fact)
    run(r, np.random.rand(*shape).astype(np.float32))
