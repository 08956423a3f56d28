//! A stateful local stand-in for Rekognition's face collections — `CreateCollection`,
//! `DescribeCollection`, `DeleteCollection`, `IndexFaces`, `ListFaces`, `DeleteFaces`, `SearchFacesByImage` — which moto
//! does not implement. It speaks the real JSON-1.1 protocol (`X-Amz-Target:
//! RekognitionService.IndexFaces`, …) through [`AwsJsonEndpoint`], with requests validated and
//! responses and errors in the shapes the Rekognition API reference documents, so an SDK adapter
//! is exercised over HTTP end to end.
//!
//! It is a **protocol test peer, not a face recogniser**. Its "faces" are those of
//! [`face_photo`]: one block of colour on a plain background. It finds the face as the box of the
//! pixels that differ from the top-left pixel (the background), and tells people apart by the
//! block's mean colour: `Similarity` is 100 less the colours' distance as a percentage of the
//! largest possible, so a JPEG crop of an enrolled photo matches it at ~98–100 and a different
//! colour far below 80. A face narrower or shorter than 4 % of the photo is "too small"
//! (`UnindexedFaces`, reason `SMALL_BOUNDING_BOX`, unless `QualityFilter` is `NONE`).
//!
//! As Rekognition does: `IndexFaces` on a photo without a face answers 200 with no `FaceRecords`;
//! `SearchFacesByImage` answers `InvalidParameterException` ("There are no faces in the image.
//! Should be at least 1."); an unknown collection is `ResourceNotFoundException`; an
//! `ExternalImageId` outside `[a-zA-Z0-9_.\-:]+` (or over 255 characters) is a
//! `ValidationException`; bytes that are no image are `InvalidImageFormatException`; more than
//! 5 MB is `ImageTooLargeException`; `ListFaces` pages with `NextToken`.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use image::{GenericImageView, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::aws_json::{AwsJsonEndpoint, Operation};

const MAX_BYTES: usize = 5 * 1024 * 1024;
const FACE_MODEL_VERSION: &str = "7.0";

#[derive(Debug, Clone)]
struct StoredFace {
    face_id: String,
    image_id: String,
    external_image_id: Option<String>,
    bounding_box: [f64; 4],
    colour: [f64; 3],
}

#[derive(Debug, Default)]
struct State {
    collections: BTreeMap<String, Vec<StoredFace>>,
    next: u64,
}

/// The collections (shared by every clone) and their operations.
#[derive(Clone)]
pub struct FaceCollections {
    state: Arc<Mutex<State>>,
    page_size: usize,
}

impl Default for FaceCollections {
    fn default() -> Self {
        Self::new()
    }
}

/// What the peer "detects" in a photo.
struct Detected {
    /// Width, Height, Left, Top as ratios of the photo.
    bounding_box: [f64; 4],
    colour: [f64; 3],
}

type Answer = (u16, Value);

fn error(status: u16, kind: &str, message: impl Into<String>) -> Answer {
    (status, json!({"__type": kind, "Message": message.into()}))
}

impl FaceCollections {
    /// No collections yet; `ListFaces` pages of at most what `MaxResults` asks.
    pub fn new() -> Self {
        Self {
            state: Arc::default(),
            page_size: usize::MAX,
        }
    }

    /// `ListFaces` answers at most `n` faces a page (Rekognition may answer fewer than
    /// `MaxResults`), so a test sees pagination with a few faces.
    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Creates `collection_id` (as `CreateCollection` would).
    pub fn create(&self, collection_id: &str) {
        self.lock()
            .collections
            .entry(collection_id.to_string())
            .or_default();
    }

    /// How many faces `collection_id` holds (0 when it does not exist).
    pub fn face_count(&self, collection_id: &str) -> usize {
        self.lock()
            .collections
            .get(collection_id)
            .map_or(0, Vec::len)
    }

    /// The collection operations, by operation name, for [`AwsJsonEndpoint::start`]; add others
    /// (e.g. `RecognizeCelebrities`) to the map before starting it.
    pub fn operations(&self) -> HashMap<String, Operation> {
        let mut ops: HashMap<String, Operation> = HashMap::new();
        let this = self.clone();
        ops.insert(
            "CreateCollection".into(),
            Arc::new(move |r: &Value| this.create_collection(r)),
        );
        let this = self.clone();
        ops.insert(
            "DescribeCollection".into(),
            Arc::new(move |r: &Value| this.describe_collection(r)),
        );
        let this = self.clone();
        ops.insert(
            "DeleteCollection".into(),
            Arc::new(move |r: &Value| this.delete_collection(r)),
        );
        let this = self.clone();
        ops.insert(
            "IndexFaces".into(),
            Arc::new(move |r: &Value| this.index_faces(r)),
        );
        let this = self.clone();
        ops.insert(
            "ListFaces".into(),
            Arc::new(move |r: &Value| this.list_faces(r)),
        );
        let this = self.clone();
        ops.insert(
            "DeleteFaces".into(),
            Arc::new(move |r: &Value| this.delete_faces(r)),
        );
        let this = self.clone();
        ops.insert(
            "SearchFacesByImage".into(),
            Arc::new(move |r: &Value| this.search_faces_by_image(r)),
        );
        ops
    }

    /// Starts an endpoint serving the collection operations plus `extra`.
    pub async fn start(
        &self,
        extra: HashMap<String, Operation>,
    ) -> std::io::Result<AwsJsonEndpoint> {
        let mut ops = self.operations();
        ops.extend(extra);
        AwsJsonEndpoint::start(ops).await
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn create_collection(&self, r: &Value) -> Answer {
        let Some(id) = r["CollectionId"].as_str() else {
            return error(400, "ValidationException", "CollectionId is required");
        };
        let mut state = self.lock();
        if state.collections.contains_key(id) {
            return error(
                400,
                "ResourceAlreadyExistsException",
                format!("The collection id: {id} already exists"),
            );
        }
        state.collections.insert(id.to_string(), Vec::new());
        (
            200,
            json!({
                "StatusCode": 200,
                "CollectionArn": format!("aws:rekognition:us-east-1:123456789012:collection/{id}"),
                "FaceModelVersion": FACE_MODEL_VERSION,
            }),
        )
    }

    fn describe_collection(&self, r: &Value) -> Answer {
        let id = r["CollectionId"].as_str().unwrap_or_default();
        match self.lock().collections.get(id) {
            Some(faces) => (
                200,
                json!({
                    "FaceCount": faces.len(),
                    "FaceModelVersion": FACE_MODEL_VERSION,
                    "CollectionARN": format!("arn:aws:rekognition:us-east-1:123456789012:collection/{id}"),
                    "CreationTimestamp": 1_765_000_000.0,
                    "UserCount": 0,
                }),
            ),
            None => not_found(id),
        }
    }

    fn delete_collection(&self, r: &Value) -> Answer {
        let id = r["CollectionId"].as_str().unwrap_or_default();
        match self.lock().collections.remove(id) {
            Some(_) => (200, json!({"StatusCode": 200})),
            None => not_found(id),
        }
    }

    fn index_faces(&self, r: &Value) -> Answer {
        let id = r["CollectionId"].as_str().unwrap_or_default();
        let external = r["ExternalImageId"].as_str();
        if let Some(e) = external
            && !valid_external_image_id(e)
        {
            return error(
                400,
                "ValidationException",
                format!(
                    "1 validation error detected: Value '{e}' at 'externalImageId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.\\-:]+"
                ),
            );
        }
        if !self.lock().collections.contains_key(id) {
            return not_found(id);
        }
        let detected = match detect(r) {
            Ok(d) => d,
            Err(e) => return e,
        };
        let quality_filter = r["QualityFilter"].as_str().unwrap_or("AUTO");
        let Some(face) = detected else {
            return (
                200,
                json!({"FaceRecords": [], "UnindexedFaces": [], "FaceModelVersion": FACE_MODEL_VERSION}),
            );
        };
        let [w, h, ..] = face.bounding_box;
        if quality_filter != "NONE" && (w < 0.04 || h < 0.04) {
            return (
                200,
                json!({
                    "FaceRecords": [],
                    "UnindexedFaces": [{"Reasons": ["SMALL_BOUNDING_BOX"], "FaceDetail": face_detail(&face)}],
                    "FaceModelVersion": FACE_MODEL_VERSION,
                }),
            );
        }
        let mut state = self.lock();
        state.next += 1;
        let n = state.next;
        let stored = StoredFace {
            face_id: format!("{n:08x}-0000-4000-8000-{n:012x}"),
            image_id: format!("{n:08x}-1111-4000-8000-{n:012x}"),
            external_image_id: external.map(str::to_string),
            bounding_box: face.bounding_box,
            colour: face.colour,
        };
        let record = json!({"Face": face_json(&stored), "FaceDetail": face_detail(&face)});
        let Some(faces) = state.collections.get_mut(id) else {
            return not_found(id);
        };
        faces.push(stored);
        (
            200,
            json!({"FaceRecords": [record], "UnindexedFaces": [], "FaceModelVersion": FACE_MODEL_VERSION}),
        )
    }

    fn list_faces(&self, r: &Value) -> Answer {
        let id = r["CollectionId"].as_str().unwrap_or_default();
        let state = self.lock();
        let Some(faces) = state.collections.get(id) else {
            return not_found(id);
        };
        let max = r["MaxResults"].as_u64().unwrap_or(1000).clamp(1, 4096) as usize;
        let page = max.min(self.page_size);
        let start: usize = match r["NextToken"].as_str() {
            None => 0,
            Some(t) => match t.parse() {
                Ok(n) => n,
                Err(_) => return error(400, "InvalidPaginationTokenException", "Invalid token"),
            },
        };
        let end = (start + page).min(faces.len());
        let listed: Vec<Value> = faces
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(face_json)
            .collect();
        let mut out = json!({"Faces": listed, "FaceModelVersion": FACE_MODEL_VERSION});
        if end < faces.len() {
            out["NextToken"] = json!(end.to_string());
        }
        (200, out)
    }

    fn delete_faces(&self, r: &Value) -> Answer {
        let id = r["CollectionId"].as_str().unwrap_or_default();
        let ids: Vec<&str> = r["FaceIds"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if ids.is_empty() || ids.len() > 4096 {
            return error(
                400,
                "ValidationException",
                "1 validation error detected: Value at 'faceIds' failed to satisfy constraint: Member must have length between 1 and 4096",
            );
        }
        let mut state = self.lock();
        let Some(faces) = state.collections.get_mut(id) else {
            return not_found(id);
        };
        let mut deleted = Vec::new();
        let mut failed = Vec::new();
        for face_id in ids {
            if let Some(i) = faces.iter().position(|f| f.face_id == face_id) {
                faces.remove(i);
                deleted.push(face_id);
            } else {
                failed.push(json!({"FaceId": face_id, "Reasons": ["FACE_NOT_FOUND"]}));
            }
        }
        (
            200,
            json!({"DeletedFaces": deleted, "UnsuccessfulFaceDeletions": failed}),
        )
    }

    fn search_faces_by_image(&self, r: &Value) -> Answer {
        let id = r["CollectionId"].as_str().unwrap_or_default();
        if !self.lock().collections.contains_key(id) {
            return not_found(id);
        }
        let face = match detect(r) {
            Ok(Some(face)) => face,
            Ok(None) => {
                return error(
                    400,
                    "InvalidParameterException",
                    "There are no faces in the image. Should be at least 1.",
                );
            }
            Err(e) => return e,
        };
        let threshold = r["FaceMatchThreshold"].as_f64().unwrap_or(80.0);
        let max_faces = r["MaxFaces"].as_u64().unwrap_or(4096) as usize;
        let state = self.lock();
        let mut matches: Vec<(f64, &StoredFace)> = state
            .collections
            .get(id)
            .map(|faces| {
                faces
                    .iter()
                    .map(|f| (similarity(f.colour, face.colour), f))
                    .filter(|(s, _)| *s >= threshold)
                    .collect()
            })
            .unwrap_or_default();
        matches.sort_by(|a, b| b.0.total_cmp(&a.0));
        matches.truncate(max_faces);
        let [w, h, l, t] = face.bounding_box;
        (
            200,
            json!({
                "SearchedFaceBoundingBox": {"Width": w, "Height": h, "Left": l, "Top": t},
                "SearchedFaceConfidence": 99.9,
                "FaceMatches": matches.iter().map(|(s, f)| json!({"Similarity": s, "Face": face_json(f)})).collect::<Vec<_>>(),
                "FaceModelVersion": FACE_MODEL_VERSION,
            }),
        )
    }
}

fn not_found(id: &str) -> Answer {
    error(
        400,
        "ResourceNotFoundException",
        format!("The collection id: {id} does not exist"),
    )
}

fn valid_external_image_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-:".contains(&b))
}

fn face_json(f: &StoredFace) -> Value {
    let [w, h, l, t] = f.bounding_box;
    let mut v = json!({
        "FaceId": f.face_id,
        "BoundingBox": {"Width": w, "Height": h, "Left": l, "Top": t},
        "ImageId": f.image_id,
        "Confidence": 99.9,
        "IndexFacesModelVersion": FACE_MODEL_VERSION,
    });
    if let Some(e) = &f.external_image_id {
        v["ExternalImageId"] = json!(e);
    }
    v
}

fn face_detail(face: &Detected) -> Value {
    let [w, h, l, t] = face.bounding_box;
    json!({
        "BoundingBox": {"Width": w, "Height": h, "Left": l, "Top": t},
        "Confidence": 99.9,
        "Landmarks": [], "Pose": {"Roll": 0.0, "Yaw": 0.0, "Pitch": 0.0},
        "Quality": {"Brightness": 80.0, "Sharpness": 90.0},
    })
}

/// 100 less the colours' distance as a percentage of black to white.
fn similarity(a: [f64; 3], b: [f64; 3]) -> f64 {
    let d = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let max = (3.0f64 * 255.0 * 255.0).sqrt();
    (100.0 * (1.0 - d / max)).clamp(0.0, 100.0)
}

/// The request's `Image.Bytes`, decoded, and the one face in it (if any).
fn detect(r: &Value) -> Result<Option<Detected>, Answer> {
    if r["Image"]["S3Object"].is_object() {
        return Err(error(
            400,
            "InvalidS3ObjectException",
            "this test peer reads Image.Bytes only",
        ));
    }
    let b64 = r["Image"]["Bytes"].as_str().unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| error(400, "ValidationException", "Image.Bytes is not base64"))?;
    if bytes.len() > MAX_BYTES {
        return Err(error(
            400,
            "ImageTooLargeException",
            format!("Image size is too large: {} bytes", bytes.len()),
        ));
    }
    let photo = image::load_from_memory(&bytes).map_err(|_| {
        error(
            400,
            "InvalidImageFormatException",
            "Request has invalid image format",
        )
    })?;
    let (width, height) = photo.dimensions();
    let rgb = photo.to_rgb8();
    let background = rgb.get_pixel(0, 0).0;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    let (mut sum, mut n) = ([0.0f64; 3], 0u64);
    for (x, y, p) in rgb.enumerate_pixels() {
        let diff: u32 =
            p.0.iter()
                .zip(background)
                .map(|(a, b)| u32::from(a.abs_diff(b)))
                .sum();
        if diff > 90 {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x + 1);
            y1 = y1.max(y + 1);
            for (s, c) in sum.iter_mut().zip(p.0) {
                *s += f64::from(c);
            }
            n += 1;
        }
    }
    if n == 0 {
        return Ok(None);
    }
    let (w, h) = (f64::from(width), f64::from(height));
    Ok(Some(Detected {
        bounding_box: [
            f64::from(x1 - x0) / w,
            f64::from(y1 - y0) / h,
            f64::from(x0) / w,
            f64::from(y0) / h,
        ],
        colour: sum.map(|s| s / n as f64),
    }))
}

/// A photo this peer finds one face in: a `colour` block at `face` (x, y, width, height in
/// pixels) on a light grey `width` × `height` background, as PNG (`jpeg: false`) or JPEG.
pub fn face_photo(
    width: u32,
    height: u32,
    face: Option<(u32, u32, u32, u32)>,
    colour: [u8; 3],
    jpeg: bool,
) -> Vec<u8> {
    let mut img = RgbImage::from_pixel(width, height, Rgb([220, 220, 220]));
    if let Some((fx, fy, fw, fh)) = face {
        for y in fy..(fy + fh).min(height) {
            for x in fx..(fx + fw).min(width) {
                img.put_pixel(x, y, Rgb(colour));
            }
        }
    }
    let format = if jpeg {
        image::ImageFormat::Jpeg
    } else {
        image::ImageFormat::Png
    };
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory RGB image to PNG or JPEG cannot fail.
    let _ = img.write_to(&mut out, format);
    out.into_inner()
}
