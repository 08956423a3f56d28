import sys, time, numpy as np, tract, onnx
from PIL import Image, ImageDraw, ImageFont
sys.path.insert(0, 'tools'); from tract_load import load, run
M='rapidocr/rapidocr_onnxruntime/models/'
font = ImageFont.truetype('/work/main/crates/core/assets/fonts/DejaVuSans-Bold.ttf', 44)
lines = ["Hello World 2024", "Starling reads English text!", "Call 555-0123 at 9:30pm"]
img = Image.new('RGB', (1000, 330), (250, 248, 240)); d = ImageDraw.Draw(img)
for i, t in enumerate(lines): d.text((40 + 15*i, 30 + 100*i), t, font=font, fill=(20, 20, 60))
img.save('/tmp/issue20/ocr_test.png')
rgb = np.asarray(img).astype(np.float32)
bgr = rgb[:, :, ::-1]  # rapidocr feeds cv2 BGR
def norm(a): return ((a / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)
# det: limit_type min, limit_side_len 736 -> scale shorter side to 736, round to /32
h, w = bgr.shape[:2]; ratio = 736 / min(h, w) if min(h, w) < 736 else 1.0
rh, rw = int(round(h*ratio/32)*32), int(round(w*ratio/32)*32)
det_in = norm(np.asarray(Image.fromarray(bgr.astype(np.uint8)).resize((rw, rh), Image.BILINEAR)).astype(np.float32))
det = load(M+'ch_PP-OCRv4_det_infer.onnx', f"1,3,{rh},{rw},f32")
prob = run(det, det_in)[0][0, 0]
mask = prob > 0.3
rows = np.where(mask.any(1))[0]
# split into line bands by row gaps
bands = np.split(rows, np.where(np.diff(rows) > 1)[0] + 1)
char = [l for l in dict((p.key, p.value) for p in onnx.load(M+'ch_PP-OCRv4_rec_infer.onnx').metadata_props)['character'].splitlines()]
char = ['blank'] + char + [' ']
rec_cache = {}
for b in bands:
    y0, y1 = b[0], b[-1]; cols = np.where(mask[y0:y1+1].any(0))[0]; x0, x1 = cols[0], cols[-1]
    # unclip a bit, map back to original coords
    hh, ww = (y1-y0+1), (x1-x0+1); pad = hh*ww*1.6/(2*(hh+ww))
    Y0, Y1 = max(0, (y0-pad)*h/rh), min(h, (y1+pad)*h/rh); X0, X1 = max(0, (x0-pad)*w/rw), min(w, (x1+pad)*w/rw)
    crop = Image.fromarray(bgr.astype(np.uint8)).crop((int(X0), int(Y0), int(X1), int(Y1)))
    cw = int(np.ceil(48 * crop.width / crop.height)); W = max(320, int(np.ceil(cw/8)*8))
    x = np.zeros((1, 3, 48, W), np.float32); x[:, :, :, :cw] = norm(np.asarray(crop.resize((cw, 48), Image.BILINEAR)).astype(np.float32))
    if W not in rec_cache: rec_cache[W] = load(M+'ch_PP-OCRv4_rec_infer.onnx', f"1,3,48,{W},f32")
    p = run(rec_cache[W], x)[0][0]
    idx = p.argmax(1); conf = p.max(1)
    out = []; prev = -1; cs = []
    for i, c in zip(idx, conf):
        if i != prev and i != 0: out.append(char[i]); cs.append(c)
        prev = i
    print(f"LINE box=({int(X0)},{int(Y0)},{int(X1)},{int(Y1)}) text={''.join(out)!r} conf={np.mean(cs):.3f}")
