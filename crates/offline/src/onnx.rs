//! The offline vision models (face embeddings, OCR, moderation) run with `tract`, a pure-Rust ONNX
//! runtime: each model's bytes are compiled into the binary, and a model is parsed and prepared
//! (optimised for one concrete input shape) the first time that shape is needed, then kept — up
//! to [`MAX_PLANS`] shapes per model, least recently used first out (tract's public API cannot
//! copy a parsed model, so each new shape parses the bytes again, 0.1–0.35 s). tract needs
//! concrete shapes for the OCR models; the callers round their shapes into a few buckets, so few
//! plans are ever made.
//!
//! Inference is CPU-bound: callers run it on a blocking thread, never on the async ones.

use std::sync::Mutex;

use tract::prelude::*;

/// At most this many prepared shapes are kept per model; past it the least recently used goes.
pub const MAX_PLANS: usize = 24;

/// One ONNX model compiled into the binary.
pub struct OnnxModel {
    name: &'static str,
    bytes: &'static [u8],
    plans: Mutex<Vec<(Vec<usize>, Runnable)>>,
    max_plans: usize,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// One output tensor: its shape and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

impl OnnxModel {
    /// A model named `name` (for errors) from its ONNX bytes.
    pub const fn new(name: &'static str, bytes: &'static [u8]) -> Self {
        Self {
            name,
            bytes,
            plans: Mutex::new(Vec::new()),
            max_plans: MAX_PLANS,
        }
    }

    /// Keeps at most `max_plans` prepared shapes (at least one) instead of [`MAX_PLANS`].
    pub const fn with_max_plans(mut self, max_plans: usize) -> Self {
        self.max_plans = if max_plans == 0 { 1 } else { max_plans };
        self
    }

    /// The model's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The model's size in bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    fn plan(&self, shape: &[usize]) -> Result<Runnable, String> {
        {
            let mut plans = self.lock();
            if let Some(at) = plans.iter().position(|(s, _)| s == shape) {
                // Most recently used last, so the least recently used goes first.
                let entry = plans.remove(at);
                let plan = entry.1.clone();
                plans.push(entry);
                return Ok(plan);
            }
        }
        let plan = self
            .prepare(shape)
            .map_err(|e| format!("model {} for input {shape:?}: {e:#}", self.name))?;
        let mut plans = self.lock();
        if plans.len() >= self.max_plans {
            plans.remove(0);
        }
        plans.push((shape.to_vec(), plan.clone()));
        Ok(plan)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Vec<usize>, Runnable)>> {
        // A panic while holding the lock leaves only a cache behind: keep using it.
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn prepare(&self, shape: &[usize]) -> anyhow::Result<Runnable> {
        let mut model = tract::onnx()?.load_buffer(self.bytes)?;
        let fact = shape
            .iter()
            .map(|d| d.to_string())
            .chain(std::iter::once("f32".to_string()))
            .collect::<Vec<_>>()
            .join(",");
        model.set_input_fact(0, fact.as_str())?;
        let model = model.into_model()?;
        tract::runtime_for_name("default")?.prepare(model)
    }

    /// Runs the model on one f32 input of `shape`; every output, in order.
    pub fn run(&self, shape: &[usize], input: &[f32]) -> Result<Vec<Output>, String> {
        let expected: usize = shape.iter().product();
        if expected != input.len() {
            return Err(format!(
                "model {}: input of {} values for shape {shape:?}",
                self.name,
                input.len()
            ));
        }
        let plan = self.plan(shape)?;
        let run = || -> anyhow::Result<Vec<Output>> {
            let tensor = Tensor::from_slice(shape, input)?;
            plan.run([tensor])?
                .into_iter()
                .map(|t| {
                    let (shape, values) = t.as_shape_and_slice::<f32>()?;
                    Ok(Output {
                        shape: shape.to_vec(),
                        values: values.to_vec(),
                    })
                })
                .collect()
        };
        run().map_err(|e| format!("model {}: {e:#}", self.name))
    }

    /// A string from the model's ONNX metadata (`metadata_props`), e.g. the OCR recogniser's
    /// character list.
    pub fn metadata(&self, key: &str) -> Result<String, String> {
        metadata_prop(self.bytes, key)
            .ok_or_else(|| format!("model {} has no metadata {key:?}", self.name))
    }
}

/// Reads one `metadata_props` entry of an ONNX `ModelProto` (field 14: `StringStringEntryProto`,
/// key = 1, value = 2) straight from the protobuf wire format. Written by hand because tract's
/// public API hands string properties out only as its internal tensor type; this walks the
/// top-level fields and skips every other one by its wire type.
fn metadata_prop(bytes: &[u8], key: &str) -> Option<String> {
    let mut fields = Fields { bytes, at: 0 };
    while let Some((number, value)) = fields.next_field()? {
        let (14, Some(entry)) = (number, value) else {
            continue;
        };
        let mut inner = Fields {
            bytes: entry,
            at: 0,
        };
        let (mut k, mut v) = (None, None);
        while let Some((n, value)) = inner.next_field()? {
            match (n, value) {
                (1, Some(s)) => k = Some(s),
                (2, Some(s)) => v = Some(s),
                _ => {}
            }
        }
        if k == Some(key.as_bytes()) {
            return v.and_then(|v| String::from_utf8(v.to_vec()).ok());
        }
    }
    None
}

/// Protobuf fields one after another: `(number, Some(bytes))` for length-delimited ones,
/// `(number, None)` for the others; `None` on malformed input.
struct Fields<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    #[allow(clippy::type_complexity)]
    fn next_field(&mut self) -> Option<Option<(u64, Option<&'a [u8]>)>> {
        if self.at >= self.bytes.len() {
            return Some(None);
        }
        let tag = self.varint()?;
        let value = match tag & 7 {
            0 => {
                self.varint()?;
                None
            }
            1 => {
                self.at = self.at.checked_add(8)?;
                None
            }
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                let end = self.at.checked_add(len)?;
                let value = self.bytes.get(self.at..end)?;
                self.at = end;
                Some(value)
            }
            5 => {
                self.at = self.at.checked_add(4)?;
                None
            }
            _ => return None,
        };
        (self.at <= self.bytes.len()).then_some(Some((tag >> 3, value)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    static FACE: OnnxModel = OnnxModel::new(
        "face_recognition",
        include_bytes!("../models/faces/face_recognition.onnx"),
    );

    #[test]
    fn runs_a_model_and_checks_the_input_length() {
        let out = FACE
            .run(&[1, 150, 150, 3], &vec![0.1; 150 * 150 * 3])
            .unwrap();
        assert_eq!(out[0].shape, vec![1, 128]);
        assert!(out[0].values.iter().any(|v| *v != 0.0));
        assert!(FACE.run(&[1, 150, 150, 3], &[0.0; 10]).is_err());
    }

    #[test]
    fn plans_are_kept_per_shape_least_recently_used_first_out() {
        static SMALL: OnnxModel = OnnxModel::new(
            "face_recognition",
            include_bytes!("../models/faces/face_recognition.onnx"),
        )
        .with_max_plans(3);
        let shape = |n: usize| [n, 150, 150, 3];
        for n in 1..=3 {
            SMALL.plan(&shape(n)).unwrap();
        }
        SMALL.plan(&shape(1)).unwrap(); // used again: now the most recent
        SMALL.plan(&shape(4)).unwrap(); // full: the least recent (2) goes
        let kept: Vec<usize> = SMALL.lock().iter().map(|(s, _)| s[0]).collect();
        assert_eq!(kept, [3, 1, 4]);
    }

    #[test]
    fn reads_metadata() {
        let rec = OnnxModel::new(
            "rec",
            include_bytes!("../models/ocr/ch_PP-OCRv4_rec_infer.onnx"),
        );
        let chars = rec.metadata("character").unwrap();
        assert!(chars.lines().count() > 6000, "{}", chars.len());
        assert!(FACE.metadata("character").is_err());
    }
}
