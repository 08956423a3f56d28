//! The known-faces gallery on AWS: one Rekognition face collection (`FACE_COLLECTION_ID`, created
//! by the CDK app). [`RekognitionFaceGallery`] enrols, lists and removes people (`starling faces
//! --aws`); analyse-image searches it ([`crate::RekognitionImageAnalyzer::with_collection`]).
//!
//! A person's name is stored in each of their faces' `ExternalImageId` ([`name`]); a person
//! enrolled from several photos has several faces with the same `ExternalImageId`.

pub mod crop;
pub mod name;

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_rekognition::Client;
use aws_sdk_rekognition::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::{Image, QualityFilter};
use starling_core::ports::{EnrolledFace, FaceGallery, GalleryError, GalleryPerson};

use crate::rekognition::bounding_box;
use crate::sdk_error::describe;

/// The most faces one `ListFaces` page asks for (Rekognition's maximum is 4096).
const LIST_PAGE: i32 = 1000;
/// The most face ids one `DeleteFaces` call takes.
const DELETE_BATCH: usize = 4096;
/// The most image bytes Rekognition takes inline.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// A Rekognition face collection as the known-faces gallery.
#[derive(Debug, Clone)]
pub struct RekognitionFaceGallery {
    client: Client,
    collection_id: String,
}

impl RekognitionFaceGallery {
    /// The gallery over the collection `collection_id` (the Analysis stack's output
    /// `FaceCollectionId`), with the SDK configuration's region and credentials.
    pub fn new(config: &aws_config::SdkConfig, collection_id: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            collection_id: collection_id.into(),
        }
    }

    /// The collection's id.
    pub fn collection_id(&self) -> &str {
        &self.collection_id
    }

    /// Creates the collection unless it exists; `true` when it was created. (On AWS the CDK app
    /// creates it; this is for other set-ups and tests.)
    pub async fn create_collection_if_missing(&self) -> Result<bool, GalleryError> {
        match self
            .client
            .create_collection()
            .collection_id(&self.collection_id)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("ResourceAlreadyExistsException") => Ok(false),
            Err(e) => Err(self.error("CreateCollection", &e)),
        }
    }

    /// Every face of the collection: (face id, decoded name).
    async fn faces(&self) -> Result<Vec<(String, String)>, GalleryError> {
        let mut faces = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_faces()
                .collection_id(&self.collection_id)
                .max_results(LIST_PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.error("ListFaces", &e))?;
            for f in out.faces() {
                if let Some(id) = f.face_id() {
                    let name = name::decode(f.external_image_id().unwrap_or_default());
                    faces.push((id.to_string(), name));
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(faces),
            }
        }
    }

    fn error<E: ProvideErrorMetadata, R>(&self, op: &str, err: &SdkError<E, R>) -> GalleryError {
        let (code, msg) = describe("Rekognition", op, err);
        match code.as_deref() {
            Some("ResourceNotFoundException") => GalleryError::Unavailable(format!(
                "{msg} (does the collection {:?} exist? The Analysis stack creates it; its output FaceCollectionId names it)",
                self.collection_id
            )),
            Some(
                "InvalidImageFormatException"
                | "ImageTooLargeException"
                | "InvalidParameterException",
            ) => GalleryError::InvalidInput(msg),
            _ => GalleryError::Unavailable(msg),
        }
    }
}

fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

#[async_trait]
impl FaceGallery for RekognitionFaceGallery {
    fn describe(&self) -> String {
        format!("Rekognition face collection {:?}", self.collection_id)
    }

    async fn add(&self, person: &str, image: &[u8]) -> Result<EnrolledFace, GalleryError> {
        let external_id =
            name::encode(person).map_err(|e| GalleryError::InvalidInput(e.to_string()))?;
        if image.len() > MAX_IMAGE_BYTES {
            return Err(GalleryError::InvalidInput(format!(
                "the photo is {:.1} MB; Rekognition takes at most 5 MB per photo: send a smaller copy",
                image.len() as f64 / 1e6
            )));
        }
        let out = self
            .client
            .index_faces()
            .collection_id(&self.collection_id)
            .image(Image::builder().bytes(Blob::new(image)).build())
            .external_image_id(&external_id)
            .max_faces(1)
            .quality_filter(QualityFilter::Auto)
            .send()
            .await
            .map_err(|e| self.error("IndexFaces", &e))?;
        let indexed = out.face_records().iter().find_map(|r| {
            let face = r.face()?;
            Some(EnrolledFace {
                face_id: face.face_id()?.to_string(),
                bounding_box: bounding_box(face.bounding_box()),
            })
        });
        if let Some(face) = indexed {
            return Ok(face);
        }
        let reasons: Vec<String> = out
            .unindexed_faces()
            .iter()
            .map(|u| {
                let r: Vec<&str> = u.reasons().iter().map(|r| r.as_str()).collect();
                r.join(", ")
            })
            .collect();
        Err(GalleryError::InvalidInput(if reasons.is_empty() {
            format!(
                "no face found in the photo for {person:?}: use a photo where the face is clear, front-on and well lit"
            )
        } else {
            format!(
                "no face of the photo for {person:?} was good enough to enrol (Rekognition: {}): use a sharper, larger, front-on photo",
                reasons.join("; ")
            )
        }))
    }

    async fn list(&self) -> Result<Vec<GalleryPerson>, GalleryError> {
        let mut people: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, name) in self.faces().await? {
            people.entry(name).or_default().push(id);
        }
        Ok(people
            .into_iter()
            .map(|(name, face_ids)| GalleryPerson { name, face_ids })
            .collect())
    }

    async fn remove(&self, person: &str) -> Result<usize, GalleryError> {
        let ids: Vec<String> = self
            .faces()
            .await?
            .into_iter()
            .filter(|(_, n)| n == person)
            .map(|(id, _)| id)
            .collect();
        let mut removed = 0;
        for batch in ids.chunks(DELETE_BATCH) {
            let out = self
                .client
                .delete_faces()
                .collection_id(&self.collection_id)
                .set_face_ids(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|e| self.error("DeleteFaces", &e))?;
            removed += out.deleted_faces().len();
        }
        Ok(removed)
    }
}
