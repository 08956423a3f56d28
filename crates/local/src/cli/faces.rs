//! `starling faces`: the known-faces gallery — people replies name when their faces appear in a
//! photo. Locally a file of face embeddings in the data directory (read by `starling up` as it
//! changes); with `--aws`, the Rekognition collection the CDK app creates (its stack output
//! `FaceCollectionId`), in a build with the `aws` feature.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use starling_core::ports::FaceGallery;
use starling_offline::image::known::LocalFaceGallery;

use super::Global;

/// Manage the people replies name.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: FacesCommand,
    /// Use the Rekognition collection on AWS instead of the local gallery (credentials and
    /// region from the usual AWS environment or profile).
    #[arg(long, global = true)]
    pub aws: bool,
    /// The Rekognition collection with `--aws` (the CDK app's `FaceCollectionId` output).
    #[arg(
        long,
        global = true,
        env = "STARLING_FACE_COLLECTION",
        value_name = "ID"
    )]
    pub collection: Option<String>,
}

/// The `faces` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum FacesCommand {
    /// Enrol a person from one or more photos (the largest face of each; several photos of the
    /// same person make matches more reliable).
    Add {
        /// The name replies give them.
        name: String,
        /// Photos of them (JPEG, PNG, GIF or WebP).
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<PathBuf>,
    },
    /// List the people enrolled and how many photos of each.
    List,
    /// Forget a person: every face enrolled under the name.
    Remove {
        /// The name they were enrolled as.
        name: String,
    },
}

/// Runs `starling faces`.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let gallery = gallery(global, &args).await?;
    match args.command {
        FacesCommand::Add { name, images } => {
            for path in &images {
                let bytes =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let face = gallery
                    .add(&name, &bytes)
                    .await
                    .with_context(|| format!("enrolling {} from {}", name, path.display()))?;
                let b = face.bounding_box;
                println!(
                    "{name}: face {} from {} (box left {:.2} top {:.2} width {:.2} height {:.2})",
                    face.face_id,
                    path.display(),
                    b.left,
                    b.top,
                    b.width,
                    b.height
                );
            }
            println!("Enrolled in the {}", gallery.describe());
        }
        FacesCommand::List => {
            let people = gallery.list().await?;
            if people.is_empty() {
                println!("No one is enrolled in the {}", gallery.describe());
            }
            for person in people {
                let n = person.face_ids.len();
                println!(
                    "{}  ({n} photo{})",
                    person.name,
                    if n == 1 { "" } else { "s" }
                );
            }
        }
        FacesCommand::Remove { name } => {
            let removed = gallery.remove(&name).await?;
            if removed == 0 {
                bail!(
                    "no one is enrolled as {name:?} in the {}",
                    gallery.describe()
                );
            }
            println!(
                "Removed {name} ({removed} face{}) from the {}",
                if removed == 1 { "" } else { "s" },
                gallery.describe()
            );
        }
    }
    Ok(())
}

async fn gallery(global: &Global, args: &Args) -> anyhow::Result<Arc<dyn FaceGallery>> {
    if !args.aws {
        return Ok(Arc::new(LocalFaceGallery::open(
            global.data_dir().faces_gallery(),
        )));
    }
    aws_gallery(args.collection.as_deref()).await
}

#[cfg(feature = "aws")]
async fn aws_gallery(collection: Option<&str>) -> anyhow::Result<Arc<dyn FaceGallery>> {
    let Some(collection) = collection.filter(|c| !c.trim().is_empty()) else {
        bail!(
            "--aws needs the collection: --collection ID or STARLING_FACE_COLLECTION (the CDK app's FaceCollectionId output)"
        );
    };
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Ok(Arc::new(starling_aws::faces::RekognitionFaceGallery::new(
        &config, collection,
    )))
}

#[cfg(not(feature = "aws"))]
async fn aws_gallery(_: Option<&str>) -> anyhow::Result<Arc<dyn FaceGallery>> {
    bail!(
        "this starling was built without AWS support: build it with `cargo build -p starling --features aws` (or `cargo install --path crates/local --features aws`) to manage the Rekognition collection"
    )
}
