//! The local data lake: events per second appended by the lake writer (each synced to disk before
//! it returns, as the `lake` route acknowledges them; and unsynced, to show what the sync costs);
//! every query in `athena/` over a generated lake (tables opened and the query run, as one
//! `starling query` does); the silver compaction of that lake; and every query again once the
//! silver tables are Parquet, with the bytes each reads (the Athena cost).
//!
//! The generated lake is what an analyst sees after some days of a busy bot
//! (`STARLING_BENCH_EVENTS`, default 100,000 events, over ten days): 20,000 accounts posting with
//! a Zipf-like skew, the detail-types of a real day (raw X activity, received posts, analyses with
//! photos on a share of them, a few failed analyses, replies and the reply policy's refusals with
//! their reasons, favourites and follows), and the duplicates an at-least-once lake holds (about
//! 1% of events written twice under the same id, 0.5% of posts received a second time under a new
//! event id). It is deterministic: the same count gives the same lake.
//!
//! ```sh
//! cargo bench -p starling-lake --features sql --bench lake --profile dev -- silver
//! STARLING_BENCH_EVENTS=1000000 STARLING_BENCH_SILVER_ONLY=1 cargo bench -p starling-lake --features sql --bench lake -- silver
//! ```
//!
//! `STARLING_BENCH_QUERIES=DIR` runs the `*.sql` of DIR instead of `athena/` (e.g. an older
//! version of the queries, to compare); `STARLING_BENCH_LAKE=DIR` generates the lake into DIR
//! (empty or absent) and keeps it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput};
use serde_json::{Value, json};
use starling_lake::{Framed, LakeConfig, LakeEngine, LakeWriter, TableDefinition, embedded_tables};

/// Events in the generated lake unless `STARLING_BENCH_EVENTS` says otherwise.
const DEFAULT_EVENTS: usize = 100_000;
/// The compaction is also measured by criterion (ten runs) up to this many events.
const CRITERION_COMPACTION_MAX: usize = 200_000;
/// Days the generated lake spans.
const DAYS: i64 = 10;
/// Accounts that post.
const AUTHORS: usize = 20_000;
const BOT_ID: &str = "1603419180975409153";

fn lake_events() -> usize {
    std::env::var("STARLING_BENCH_EVENTS")
        .ok()
        .map(|v| {
            v.replace(['_', ','], "")
                .parse()
                .expect("STARLING_BENCH_EVENTS: a number of events")
        })
        .unwrap_or(DEFAULT_EVENTS)
}

/// `100,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

// ---------------------------------------------------------------------------------------------
// A deterministic generator (no dependency: splitmix64 and a Zipf table).

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
    /// An index drawn by the weights.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A version-4 UUID, as EventBridge gives each event.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Ranks 0..n drawn with probability ∝ 1 / (rank + 10)^1.1 (Zipf–Mandelbrot: a few accounts post
/// a lot, most post once or twice).
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for k in 0..n {
            sum += 1.0 / ((k + 11) as f64).powf(1.1);
            cdf.push(sum);
        }
        for p in &mut cdf {
            *p /= sum;
        }
        Self(cdf)
    }
    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.0.partition_point(|p| *p < u).min(self.0.len() - 1)
    }
}

// ---------------------------------------------------------------------------------------------
// What a real day holds.

/// Relative posts per UTC hour: quiet at night, busiest in the evening.
const DIURNAL: [u32; 24] = [
    3, 2, 2, 1, 1, 1, 2, 4, 6, 7, 8, 8, 8, 8, 8, 8, 9, 10, 11, 12, 12, 10, 7, 5,
];
/// How posts come in: webhook, stream, mentions poll, keyword search.
const WAYS: [(&str, u32); 4] = [
    ("webhook", 70),
    ("stream", 10),
    ("mentions", 15),
    ("search", 5),
];
/// Post languages; `und` and `cy` have no sentiment model.
const LANGUAGES: [(&str, u32); 8] = [
    ("en", 68),
    ("es", 12),
    ("de", 6),
    ("fr", 5),
    ("ja", 4),
    ("pt", 2),
    ("und", 2),
    ("cy", 1),
];
const SENTIMENTS: [(&str, u32); 4] = [
    ("POSITIVE", 35),
    ("NEUTRAL", 38),
    ("NEGATIVE", 22),
    ("MIXED", 5),
];
/// Why the reply policy held a summoned post's reply back, against replying (`None`, first).
const DECISIONS: [(Option<&str>, u32); 9] = [
    (None, 760),
    (Some("cooldown"), 70),
    (Some("author-cap"), 40),
    (Some("budget"), 30),
    (Some("opted-out"), 30),
    (Some("conversation-cap"), 30),
    (Some("denied"), 10),
    (Some("dry-run"), 20),
    (Some("already-answered"), 10),
];
const FAILURES: [(&str, &str, u32); 4] = [
    (
        "download-media",
        "GET https://pbs.twimg.com/media/x.jpg: 404 Not Found",
        50,
    ),
    ("analyse-text", "ThrottlingException: Rate exceeded", 20),
    (
        "analyse-image",
        "InvalidImageFormatException: Request has unsupported image format",
        20,
    ),
    ("States.Timeout", "the analysis took longer than 60 s", 10),
];
const CITIES: [&str; 24] = [
    "London",
    "Madrid",
    "Berlin",
    "Paris",
    "Tokyo",
    "Lisbon",
    "New York",
    "Cardiff",
    "Manchester",
    "Barcelona",
    "Munich",
    "Lyon",
    "Osaka",
    "Porto",
    "Chicago",
    "Edinburgh",
    "Seville",
    "Hamburg",
    "Marseille",
    "Kyoto",
    "Boston",
    "Dublin",
    "Valencia",
    "Cologne",
];
const PEOPLE: [&str; 30] = [
    "Grace Hopper",
    "Ada Lovelace",
    "Alan Turing",
    "Katherine Johnson",
    "Margaret Hamilton",
    "Tim Berners-Lee",
    "Marie Curie",
    "Rosalind Franklin",
    "Dorothy Vaughan",
    "Hedy Lamarr",
    "Claude Shannon",
    "Barbara Liskov",
    "Frances Allen",
    "John von Neumann",
    "Edsger Dijkstra",
    "Donald Knuth",
    "Radia Perlman",
    "Karen Sparck Jones",
    "Mary Jackson",
    "Annie Easley",
    "Lise Meitner",
    "Emmy Noether",
    "Sophie Wilson",
    "Steve Furber",
    "Jean Bartik",
    "Kathleen Booth",
    "Stephanie Shirley",
    "Joan Clarke",
    "Tommy Flowers",
    "Mary Somerville",
];
const ORGANISATIONS: [&str; 16] = [
    "NASA",
    "BBC",
    "ESA",
    "Heathrow",
    "Renfe",
    "Deutsche Bahn",
    "SNCF",
    "Met Office",
    "Premier League",
    "Real Madrid",
    "Bayern",
    "UEFA",
    "NHS",
    "Apple",
    "Nintendo",
    "Lego",
];
const THINGS: [&str; 12] = [
    "iPhone",
    "Switch",
    "Kindle",
    "Pixel",
    "PlayStation",
    "Tesla",
    "Lego set",
    "Raspberry Pi",
    "Walkman",
    "Polaroid",
    "Vespa",
    "Thermos",
];
const HASHTAGS: usize = 150;
const LABELS: [&str; 40] = [
    "Person",
    "Human",
    "Outdoors",
    "Nature",
    "Text",
    "Face",
    "Portrait",
    "Smile",
    "Dog",
    "Cat",
    "Pet",
    "Animal",
    "Food",
    "Meal",
    "Drink",
    "Coffee Cup",
    "Building",
    "Architecture",
    "City",
    "Urban",
    "Street",
    "Car",
    "Vehicle",
    "Train",
    "Airplane",
    "Sky",
    "Sunset",
    "Beach",
    "Sea",
    "Water",
    "Mountain",
    "Tree",
    "Plant",
    "Flower",
    "Crowd",
    "Stadium",
    "Screen",
    "Electronics",
    "Poster",
    "Document",
];
const EMOTIONS: [&str; 6] = ["HAPPY", "CALM", "SURPRISED", "SAD", "CONFUSED", "ANGRY"];
const PHRASES: [&str; 20] = [
    "the weather",
    "this morning",
    "the train",
    "a great day",
    "the match",
    "my flight",
    "the new album",
    "the queue",
    "customer service",
    "the museum",
    "last night",
    "the photo",
    "my cat",
    "the coffee",
    "the weekend",
    "the concert",
    "the delay",
    "the launch",
    "the view",
    "the city",
];

/// One of the entities posts mention: (Comprehend type, text), the popular ones first.
fn entity(rank: usize) -> (&'static str, String) {
    match rank % 5 {
        0 => ("LOCATION", CITIES[(rank / 5) % CITIES.len()].to_string()),
        1 => ("PERSON", PEOPLE[(rank / 5) % PEOPLE.len()].to_string()),
        2 => (
            "ORGANIZATION",
            ORGANISATIONS[(rank / 5) % ORGANISATIONS.len()].to_string(),
        ),
        3 => (
            "COMMERCIAL_ITEM",
            THINGS[(rank / 5) % THINGS.len()].to_string(),
        ),
        _ => ("OTHER", format!("#topic{}", (rank / 5) % HASHTAGS)),
    }
}

struct Generator {
    rng: Rng,
    writer: LakeWriter,
    target: usize,
    written: usize,
    /// The hour (since the epoch) of the last event: parts are finalised when it moves on.
    hour: i64,
    authors: Zipf,
    entities: Zipf,
    people: Zipf,
    labels: Zipf,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn after(t: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    t + chrono::Duration::milliseconds((seconds * 1000.0) as i64)
}

impl Generator {
    /// Writes one event (and, one time in a hundred, the same event again: a retried delivery).
    /// False once the lake holds its target.
    fn emit(
        &mut self,
        detail_type: &str,
        source: &str,
        time: DateTime<Utc>,
        detail: Value,
    ) -> bool {
        if self.written >= self.target {
            return false;
        }
        let hour = time.timestamp().div_euclid(3600);
        if hour > self.hour {
            // Firehose closes a file per buffer interval; here one file per partition and hour.
            self.writer.flush().unwrap();
            self.hour = hour;
        }
        let id = self.rng.uuid();
        let bytes = serde_json::to_vec(&json!({
            "version": "0", "id": id, "detail-type": detail_type, "source": source,
            "account": "000000000000", "time": iso(time), "region": "eu-west-1",
            "resources": [], "detail": detail
        }))
        .unwrap();
        self.writer.append(&bytes).unwrap();
        self.written += 1;
        if self.rng.chance(0.01) && self.written < self.target {
            self.writer.append(&bytes).unwrap();
            self.written += 1;
        }
        true
    }

    fn text(&mut self, summoned: bool, mentions: &[(&'static str, String)]) -> String {
        let mut text = String::new();
        if summoned {
            text.push_str("@starling_bot ");
        }
        let opening = *self.rng.pick(&[
            "What do you think of",
            "Just saw",
            "Can't believe",
            "Loving",
            "Really disappointed with",
            "Anyone else at",
            "Thoughts on",
            "Here's",
        ]);
        text.push_str(opening);
        for (i, (_, m)) in mentions.iter().enumerate() {
            text.push_str(if i == 0 { " " } else { " and " });
            text.push_str(m);
        }
        if mentions.is_empty() {
            text.push(' ');
            text.push_str(self.rng.pick::<&str>(&PHRASES));
        }
        text.push_str(self.rng.pick::<&str>(&[
            " today!",
            " this morning, wow.",
            " again... not great",
            " — brilliant.",
            "? 🤔",
            " 📸",
        ]));
        text
    }

    fn image(&mut self, post_id: &str, i: usize) -> Value {
        let labels: Vec<Value> = (0..3 + self.rng.below(5))
            .map(|_| {
                json!({"Name": LABELS[self.labels.sample(&mut self.rng)],
                       "Confidence": (self.rng.between(55.0, 99.9) * 1000.0).round() / 1000.0})
            })
            .collect();
        let text = if self.rng.chance(0.15) {
            let word = *self.rng.pick(&[
                "SALE", "OPEN", "EXIT", "NASA", "GATE 12", "CAFE", "NO ENTRY",
            ]);
            json!([{"DetectedText": word, "Type": "LINE", "Id": 0, "Confidence": 97.5},
                   {"DetectedText": word, "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 97.1}])
        } else {
            json!([])
        };
        let face = |rng: &mut Rng| {
            json!({"BoundingBox": {"Width": 0.2, "Height": 0.25, "Left": rng.between(0.0, 0.7), "Top": rng.between(0.0, 0.6)},
                   "Confidence": 99.2, "Emotions": [{"Type": *rng.pick(&EMOTIONS), "Confidence": rng.between(60.0, 99.0)}]})
        };
        let celebrities = if self.rng.chance(0.05) {
            let name = PEOPLE[self.people.sample(&mut self.rng)];
            json!([{"Name": name, "Id": format!("id-{}", name.len()), "Urls": [],
                    "MatchConfidence": (self.rng.between(90.0, 99.9) * 100.0).round() / 100.0,
                    "Face": face(&mut self.rng)}])
        } else {
            json!([])
        };
        let unknown: Vec<Value> = (0..self.rng.weighted(&[70, 20, 10]))
            .map(|_| face(&mut self.rng))
            .collect();
        json!({"Key": format!("media/{post_id}/{i}.jpg"), "Url": format!("https://pbs.twimg.com/media/{post_id}-{i}.jpg"),
               "Analysis": {"Labels": labels, "TextDetections": text, "CelebrityFaces": celebrities,
                            "UnrecognizedFaces": unknown, "Provider": "rekognition"}})
    }

    fn analysis(
        &mut self,
        post_id: &str,
        lang: &str,
        text: &str,
        mentions: &[(&'static str, String)],
        images: usize,
    ) -> Value {
        let mut analysis = json!({"Language": lang, "Provider": "comprehend"});
        if lang != "und" && lang != "cy" {
            let s = SENTIMENTS[self.rng.weighted(&SENTIMENTS.map(|s| s.1))].0;
            let main = self.rng.between(0.6, 0.99);
            let rest = 1.0 - main;
            let (a, b, c) = (rest * 0.5, rest * 0.3, rest * 0.2);
            let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
            let (p, n, u, m) = match s {
                "POSITIVE" => (main, b, a, c),
                "NEGATIVE" => (b, main, a, c),
                "NEUTRAL" => (a, b, main, c),
                _ => (a, b, c, main),
            };
            analysis["TextSentiment"] = json!(s);
            analysis["SentimentScore"] = json!({"Positive": round(p), "Negative": round(n), "Neutral": round(u), "Mixed": round(m)});
        }
        let entities: Vec<Value> = mentions
            .iter()
            .map(|(kind, t)| {
                let begin = text.find(t.as_str()).unwrap_or(0);
                json!({"Score": (self.rng.between(0.7, 0.999) * 1000.0).round() / 1000.0, "Type": kind, "Text": t,
                       "BeginOffset": begin, "EndOffset": begin + t.len()})
            })
            .collect();
        let phrases: Vec<Value> = (0..1 + self.rng.below(3))
            .map(|_| json!({"Score": 0.9, "Text": self.rng.pick(&PHRASES), "BeginOffset": 0, "EndOffset": 10}))
            .collect();
        let images: Vec<Value> = (0..images).map(|i| self.image(post_id, i)).collect();
        analysis["TextEntities"] = json!(entities);
        analysis["KeyPhrases"] = json!(phrases);
        analysis["Images"] = json!(images);
        analysis
    }

    /// One post and everything the bot did with it. False once the lake is full.
    fn post(&mut self, n: u64, t: DateTime<Utc>) -> bool {
        let rank = self.authors.sample(&mut self.rng);
        let user_id = (1_000_000_007 + rank as u64 * 7_919).to_string();
        // One account in 500 renames itself half way through.
        let renamed = rank.is_multiple_of(500) && t >= start() + chrono::Duration::days(DAYS / 2);
        let handle = if renamed {
            format!("user{rank}_new")
        } else {
            format!("user{rank}")
        };
        let post_id = (1_900_000_000_000_000_000u64 + n).to_string();
        let way = WAYS[self.rng.weighted(&WAYS.map(|w| w.1))].0;
        let summoned = way != "search" && self.rng.chance(0.9);
        let lang = LANGUAGES[self.rng.weighted(&LANGUAGES.map(|l| l.1))].0;
        let images = if self.rng.chance(0.25) {
            1 + self.rng.weighted(&[60, 25, 10, 5])
        } else {
            0
        };
        let mentions: Vec<(&'static str, String)> = (0..self.rng.weighted(&[25, 45, 20, 10]))
            .map(|_| entity(self.entities.sample(&mut self.rng)))
            .collect();
        let text = self.text(summoned, &mentions);
        let urls: Vec<String> = (0..images)
            .map(|i| format!("https://pbs.twimg.com/media/{post_id}-{i}.jpg"))
            .collect();
        let media: Vec<Value> = urls
            .iter()
            .map(|u| json!({"Url": u, "Type": "photo", "AltText": null}))
            .collect();
        let received = json!({
            "Text": text, "Author": handle, "Lang": lang, "CreatedAt": iso(t), "ImageUrls": urls, "Media": media,
            "Twitter": {"TweetId": post_id, "UserId": user_id}, "Summoned": summoned, "Source": way
        });
        if way == "webhook" || way == "stream" {
            let raw = json!({
                "created_at": t.format("%a %b %d %H:%M:%S +0000 %Y").to_string(), "id_str": post_id, "text": text,
                "lang": lang, "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter for iPhone</a>",
                "user": {"id_str": user_id, "screen_name": handle, "name": format!("User {rank}"),
                         "followers_count": 20_000 / (rank + 1), "friends_count": 180, "verified": false,
                         "description": "Posts about trains, cats and the weather."},
                "entities": {"hashtags": [], "urls": [],
                             "user_mentions": if summoned { json!([{"screen_name": "starling_bot", "id_str": BOT_ID, "indices": [0, 13]}]) } else { json!([]) }},
                "for_user_id": BOT_ID
            });
            if !self.emit("TWITTER_TWEETED", "starling.twitter", t, raw) {
                return false;
            }
        }
        if !self.emit(
            "MESSAGE_RECEIVED",
            "starling.twitter",
            after(t, 0.2),
            received.clone(),
        ) {
            return false;
        }
        // The same post found again by the mentions poll: a new event, maybe analysed again.
        let again = self
            .rng
            .chance(0.005)
            .then(|| self.rng.between(30.0, 300.0));
        if let Some(later) = again {
            let mut polled = received.clone();
            polled["Source"] = json!("mentions");
            if !self.emit(
                "MESSAGE_RECEIVED",
                "starling.twitter",
                after(t, later),
                polled,
            ) {
                return false;
            }
        }
        let analysed_at = after(t, self.rng.between(1.0, 6.0));
        if self.rng.chance(0.015) {
            let (stage, cause, _) = FAILURES[self.rng.weighted(&FAILURES.map(|f| f.2))];
            let mut failed = received.clone();
            failed["Error"] = json!({"Stage": stage, "Cause": cause});
            return self.emit(
                "MESSAGE_ANALYSIS_FAILED",
                "starling.analysis",
                analysed_at,
                failed,
            );
        }
        let analysis = self.analysis(&post_id, lang, &text, &mentions, images);
        let mut analysed = received.clone();
        analysed["Analysis"] = analysis;
        if !self.emit(
            "MESSAGE_ANALYSED",
            "starling.analysis",
            analysed_at,
            analysed.clone(),
        ) {
            return false;
        }
        if let Some(later) = again
            && self.rng.chance(0.5)
            && !self.emit(
                "MESSAGE_ANALYSED",
                "starling.analysis",
                after(t, later + 3.0),
                analysed,
            )
        {
            return false;
        }
        // What the reply policy decided.
        let decided = after(analysed_at, self.rng.between(0.3, 2.0));
        let held = |reason: &str| json!({"Reason": reason, "TweetId": post_id, "UserId": user_id, "Author": handle, "Detail": format!("{reason}: policy")});
        let reason = if way == "search" {
            Some("keyword-match")
        } else if !summoned {
            Some("not-summoned")
        } else if self.rng.chance(0.01) {
            let flagged = json!({"TweetId": post_id, "UserId": user_id, "Author": handle, "Content": "text",
                                 "Provider": "comprehend", "Labels": [{"Name": "TOXICITY", "Confidence": 91.0}], "Alert": true, "ImageKeys": []});
            if !self.emit(
                "MODERATION_FLAGGED",
                "starling.responding",
                decided,
                flagged,
            ) {
                return false;
            }
            Some("moderation")
        } else if rank < 20 && self.rng.chance(0.4) {
            // The busiest accounts meet the cooldown and the daily cap.
            Some(if self.rng.chance(0.7) {
                "cooldown"
            } else {
                "author-cap"
            })
        } else {
            DECISIONS[self.rng.weighted(&DECISIONS.map(|d| d.1))].0
        };
        if let Some(reason) = reason {
            return self.emit(
                "REPLY_SUPPRESSED",
                "starling.responding",
                decided,
                held(reason),
            );
        }
        let key = format!("reply-{post_id}");
        let send = json!({"Text": format!("@{handle} Thanks! Here's what I found."), "ReplyToTweetId": post_id,
                          "ReplyToUserId": user_id, "ReplyToUsername": handle, "IdempotencyKey": key,
                          "ImageKeys": if images > 0 { json!([format!("annotated/{post_id}/0.jpg")]) } else { json!([]) }});
        if !self.emit("SEND_TWEET", "starling.responding", decided, send) {
            return false;
        }
        let sent_at = after(decided, self.rng.between(0.4, 3.0));
        if self.rng.chance(0.005) {
            return self.emit(
                "TWEET_FAILED",
                "starling.egress",
                sent_at,
                json!({"ReplyToTweetId": post_id, "IdempotencyKey": key, "Error": "429 Too Many Requests"}),
            );
        }
        self.emit(
            "TWEET_SENT",
            "starling.egress",
            sent_at,
            json!({"ReplyToTweetId": post_id, "TweetId": (2_000_000_000_000_000_000u64 + n).to_string(), "IdempotencyKey": key}),
        )
    }

    /// Raw X activity that is not a post: someone liked one of the bot's replies or followed it.
    fn activity(&mut self, t: DateTime<Utc>) -> bool {
        let rank = self.authors.sample(&mut self.rng);
        let user = json!({"id_str": (1_000_000_007 + rank as u64 * 7_919).to_string(), "screen_name": format!("user{rank}")});
        if self.rng.chance(0.85) {
            let id = format!("{:032x}", self.rng.next());
            self.emit(
                "TWITTER_FAVOURITED",
                "starling.twitter",
                t,
                json!({"id": id, "created_at": t.format("%a %b %d %H:%M:%S +0000 %Y").to_string(),
                       "timestamp_ms": t.timestamp_millis(), "favorited_status": {"id_str": "2000000000000000001", "text": "@user Thanks!"},
                       "user": user, "for_user_id": BOT_ID}),
            )
        } else {
            self.emit(
                "TWITTER_FOLLOWED",
                "starling.twitter",
                t,
                json!({"type": "follow", "created_timestamp": t.timestamp_millis().to_string(),
                       "target": {"id": BOT_ID, "screen_name": "starling_bot"}, "source": user, "for_user_id": BOT_ID}),
            )
        }
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// A lake of `events` events under `root` (see the module docs).
fn generate(root: &Path, events: usize) {
    let config = LakeConfig {
        sync: false,
        ..LakeConfig::default()
    };
    let (writer, _) = LakeWriter::open(root, config).unwrap();
    let mut g = Generator {
        rng: Rng(0x5EED),
        writer,
        target: events,
        written: 0,
        hour: i64::MIN,
        authors: Zipf::new(AUTHORS),
        entities: Zipf::new(5 * HASHTAGS),
        people: Zipf::new(PEOPLE.len()),
        labels: Zipf::new(LABELS.len()),
    };
    // About 4.6 events per post; posts spread over the days by the hour of the day.
    let posts = (events as f64 / 4.6).ceil() as u64 + 1;
    let weight: u32 = DIURNAL.iter().sum();
    let mut n = 0u64;
    'days: for day in 0.. {
        for (hour, w) in DIURNAL.iter().enumerate() {
            let here =
                ((posts as f64 / DAYS as f64) * f64::from(*w) / f64::from(weight)).ceil() as u64;
            let base = start() + chrono::Duration::days(day) + chrono::Duration::hours(hour as i64);
            for k in 0..here {
                let t = after(base, 3600.0 * (k as f64 + g.rng.unit()) / here as f64);
                if !g.post(n, t) {
                    break 'days;
                }
                n += 1;
                if g.rng.chance(0.2) && !g.activity(after(t, 1.0)) {
                    break 'days;
                }
            }
        }
    }
    g.writer.close().unwrap();
}

// ---------------------------------------------------------------------------------------------
// What each query reads.

/// The generated lake, shared by the groups that query it.
struct Lake {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    events: usize,
    tables: Vec<TableDefinition>,
    queries: Vec<(String, String)>,
}

impl Lake {
    fn new() -> Self {
        let events = lake_events();
        let (dir, temp) = match std::env::var_os("STARLING_BENCH_LAKE") {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                assert!(
                    std::fs::read_dir(&dir).map_or(true, |mut d| d.next().is_none()),
                    "STARLING_BENCH_LAKE={} is not empty",
                    dir.display()
                );
                (dir, None)
            }
            None => {
                let temp = tempfile::tempdir().unwrap();
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let started = Instant::now();
        generate(&dir, events);
        let bronze = bronze_bytes(&dir);
        eprintln!(
            "generated a lake of {} events ({} of JSON, {} files) in {:.1} s",
            thousands(events),
            mib(bronze.values().map(|(b, _)| b).sum()),
            bronze.values().map(|(_, f)| f).sum::<u64>(),
            started.elapsed().as_secs_f64()
        );
        let queries_dir = std::env::var_os("STARLING_BENCH_QUERIES").map_or_else(
            || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../athena")),
            PathBuf::from,
        );
        let mut files: Vec<_> = std::fs::read_dir(&queries_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        let queries = files
            .iter()
            .map(|f| {
                (
                    f.file_stem().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(f).unwrap(),
                )
            })
            .collect();
        Self {
            dir,
            _temp: temp,
            events,
            tables: embedded_tables().unwrap(),
            queries,
        }
    }

    fn engine(&self) -> LakeEngine {
        LakeEngine::open(&self.dir, &self.tables).unwrap()
    }
}

/// JSON bytes and files of the bronze lake, by detail-type.
fn bronze_bytes(root: &Path) -> BTreeMap<String, (u64, u64)> {
    let mut out: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let events = root.join("events");
    for file in starling_lake::writer::files_under(&events).unwrap() {
        let detail_type = file
            .strip_prefix(&events)
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_start_matches("detail_type=")
            .to_string();
        let entry = out.entry(detail_type).or_default();
        entry.0 += std::fs::metadata(&file).unwrap().len();
        entry.1 += 1;
    }
    out
}

/// The bronze detail-types each silver table is computed from (athena/silver/*.sql).
fn silver_sources(table: &str) -> Option<&'static [&'static str]> {
    match table {
        "posts" => Some(&[
            "MESSAGE_RECEIVED",
            "MESSAGE_ANALYSED",
            "TWEET_SENT",
            "REPLY_SUPPRESSED",
            "MODERATION_FLAGGED",
        ]),
        "users" => Some(&["MESSAGE_RECEIVED"]),
        // Every detail-type, unless the query names some.
        "events_silver" => Some(&[]),
        _ => None,
    }
}

/// The SQL without its comments.
fn code(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tables a query reads: the names after FROM and JOIN.
fn tables_read(sql: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r#"(?i)\b(?:from|join)\s+("[^"]+"|[a-z_][a-z0-9_]*)"#).unwrap();
    re.captures_iter(&code(sql))
        .map(|c| c[1].trim_matches('"').to_lowercase())
        .collect()
}

/// The detail-types a query names as literals (`detail_type = 'X'`, `IN ('X', 'Y')`), whether
/// or not the lake has any.
fn detail_types_named(sql: &str) -> Vec<String> {
    let code = code(sql);
    if !code.contains("detail_type") {
        return Vec::new();
    }
    let re = regex::Regex::new(r"'([A-Z]+_[A-Z_]+)'").unwrap();
    re.captures_iter(&code).map(|c| c[1].to_string()).collect()
}

/// What a query reads, in bytes: `(silver Parquet files, the columns of them it names, bronze
/// JSON)`, where for a silver table the bronze is the JSON it is computed from.
struct Scan {
    tables: Vec<String>,
    parquet: u64,
    parquet_columns: u64,
    bronze: u64,
}

fn scan(lake: &Lake, engine: &LakeEngine, sql: &str) -> Scan {
    let bronze = bronze_bytes(&lake.dir);
    let named = detail_types_named(sql);
    let words: BTreeSet<String> = regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_]*")
        .unwrap()
        .find_iter(&code(sql).to_lowercase())
        .map(|m| m.as_str().to_string())
        .collect();
    let partitions = |types: &[&str]| -> u64 {
        let types: Vec<String> = if types.is_empty() && !named.is_empty() {
            named.clone()
        } else if types.is_empty() {
            bronze.keys().cloned().collect()
        } else {
            types.iter().map(|t| t.to_string()).collect()
        };
        types
            .iter()
            .filter_map(|t| bronze.get(t))
            .map(|(b, _)| b)
            .sum()
    };
    let mut out = Scan {
        tables: Vec::new(),
        parquet: 0,
        parquet_columns: 0,
        bronze: 0,
    };
    for table in tables_read(sql) {
        match table.as_str() {
            "events" => out.bronze += partitions(&[]),
            "analysed-messages-table" => out.bronze += partitions(&["MESSAGE_ANALYSED"]),
            silver => {
                let Some(sources) = silver_sources(silver) else {
                    continue; // a CTE's name
                };
                out.bronze += partitions(sources);
                let Some(generation) = starling_lake::silver::current_generation(&lake.dir, silver)
                else {
                    continue;
                };
                let files: Vec<PathBuf> = starling_lake::writer::files_under(&generation)
                    .unwrap()
                    .into_iter()
                    .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
                    .collect();
                out.parquet += files
                    .iter()
                    .map(|f| std::fs::metadata(f).unwrap().len())
                    .sum::<u64>();
                let glob = generation.join("**").join("*.parquet");
                let columns = engine
                    .query(&format!(
                        "SELECT path_in_schema AS col, sum(total_compressed_size) AS bytes \
                         FROM parquet_metadata('{}') GROUP BY 1",
                        glob.to_string_lossy().replace('\'', "''")
                    ))
                    .unwrap();
                for row in &columns.rows {
                    let column = row[0].as_str().unwrap_or("").to_lowercase();
                    if words.contains(&column) {
                        out.parquet_columns += row[1].as_u64().unwrap_or(0);
                    }
                }
            }
        }
        out.tables.push(table);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The groups.

fn writer_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("lake writer");
    let event = serde_json::to_vec(&json!({
        "version": "0", "id": "bench", "detail-type": "MESSAGE_ANALYSED", "source": "starling.analysis",
        "account": "000000000000", "time": "2026-11-01T09:00:00Z", "region": "local", "resources": [],
        "detail": {"Text": "message about London", "Author": "user1", "ImageUrls": [], "Media": [],
                   "Twitter": {"TweetId": "1900000000000000001", "UserId": "7"},
                   "Analysis": {"Language": "en", "TextSentiment": "POSITIVE", "Provider": "bench",
                                "SentimentScore": {"Positive": 0.9, "Negative": 0.05, "Neutral": 0.04, "Mixed": 0.01},
                                "TextEntities": [{"Score": 0.9, "Type": "LOCATION", "Text": "London", "BeginOffset": 21, "EndOffset": 27}],
                                "KeyPhrases": [], "Images": []}}
    }))
    .unwrap();
    group.throughput(Throughput::Elements(100));
    for sync in [true, false] {
        let name = if sync {
            "append 100 events, each synced (as delivered)"
        } else {
            "append 100 events, unsynced"
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let config = LakeConfig {
                        sync,
                        ..LakeConfig::default()
                    };
                    let (writer, _) = LakeWriter::open(dir.path(), config).unwrap();
                    (dir, writer)
                },
                |(dir, writer)| {
                    for _ in 0..100 {
                        writer.append(&event).unwrap();
                    }
                    (dir, writer)
                },
                BatchSize::PerIteration,
            );
        });
    }
    // Group commit, as the `lake` route delivers events waiting together: one sync per batch.
    let parsed: starling_contracts::Envelope = serde_json::from_slice(&event).unwrap();
    group.bench_function("append 100 events as one group commit, synced once", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let (writer, _) = LakeWriter::open(dir.path(), LakeConfig::default()).unwrap();
                (dir, writer, vec![parsed.clone(); 100])
            },
            |(dir, writer, events)| {
                // Framed here, as the lake target frames each delivery before the write.
                let framed: Vec<Framed> =
                    events.iter().map(|e| Framed::event(e).unwrap()).collect();
                writer.append_framed_all(framed).unwrap();
                (dir, writer)
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

/// Each query opened and run the way `starling query` does, `group` named for the lake.
/// Queries named in `once` are run once (their first run printed), not under criterion.
fn run_queries(c: &mut Criterion, lake: &Lake, group: &str, once: &BTreeSet<String>) {
    let mut group = c.benchmark_group(group);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.warm_up_time(Duration::from_secs(1));
    // What every query pays before it reads a row: the engine opened, a view per table.
    let started = Instant::now();
    lake.engine().query("SELECT 1").unwrap();
    eprintln!(
        "opening the engine (views over every table): {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    for (name, sql) in &lake.queries {
        let started = Instant::now();
        let rows = lake.engine().query(sql).unwrap().rows.len();
        eprintln!(
            "{name}: {rows} rows, first run {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        if once.contains(name) {
            continue;
        }
        group.bench_function(name.as_str(), |b| {
            b.iter(|| lake.engine().query(sql).unwrap());
        });
    }
    group.finish();
}

/// Every query over the bronze lake (the silver tables not compacted yet: views over bronze).
fn queries(c: &mut Criterion, lake: &Lake) {
    let name = format!("athena query over {} events", thousands(lake.events));
    run_queries(c, lake, &name, &BTreeSet::new());
}

/// `compact` once over the whole lake (timed, events per second), then, on lakes up to
/// [`CRITERION_COMPACTION_MAX`] events, ten more runs under criterion.
fn compaction(c: &mut Criterion, lake: &Lake) {
    let compact = || starling_lake::compact(&lake.dir, &lake.tables, None, |_| {}).unwrap();
    let report = compact();
    let silver: u64 = starling_lake::writer::files_under(&lake.dir.join("silver"))
        .unwrap()
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let bronze: u64 = bronze_bytes(&lake.dir).values().map(|(b, _)| b).sum();
    eprintln!(
        "silver compaction of {} bronze events: {:.1} s, {:.0} events/s; {} of JSON → {} of Parquet ({:.1}×); {}",
        thousands(report.bronze_events as usize),
        report.seconds,
        report.events_per_second(),
        mib(bronze),
        mib(silver),
        bronze as f64 / silver.max(1) as f64,
        report
            .tables
            .iter()
            .map(|(t, rows, files, _)| format!(
                "{t} {} rows in {files} files",
                thousands(*rows as usize)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if lake.events <= CRITERION_COMPACTION_MAX {
        let mut group = c.benchmark_group("silver compaction");
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.measurement_time(Duration::from_secs(10));
        group.warm_up_time(Duration::from_millis(1));
        group.throughput(Throughput::Elements(report.bronze_events));
        group.bench_function(format!("compact {} events", thousands(lake.events)), |b| {
            b.iter(compact);
        });
        group.finish();
    }
}

/// Every query once the silver tables are Parquet, with what each reads.
fn silver_queries(c: &mut Criterion, lake: &Lake) {
    let engine = lake.engine();
    eprintln!("bytes each query reads (Athena bills by bytes scanned):");
    // With STARLING_BENCH_SILVER_ONLY the queries that read only bronze run once here, not ten
    // times under criterion (at a million events each takes tens of seconds).
    let silver_only = std::env::var_os("STARLING_BENCH_SILVER_ONLY").is_some();
    let mut once = BTreeSet::new();
    for (name, sql) in &lake.queries {
        let s = scan(lake, &engine, sql);
        if s.parquet == 0 && silver_only {
            once.insert(name.clone());
        }
        if s.parquet == 0 {
            eprintln!(
                "  {name}: bronze {} — {} of JSON",
                s.tables.join(", "),
                mib(s.bronze)
            );
        } else {
            eprintln!(
                "  {name}: silver {} — {} of Parquet, {} in the columns it names; the bronze JSON it is computed from {} ({:.0}× / {:.0}×)",
                s.tables.join(", "),
                mib(s.parquet),
                mib(s.parquet_columns),
                mib(s.bronze),
                s.bronze as f64 / s.parquet.max(1) as f64,
                s.bronze as f64 / s.parquet_columns.max(1) as f64
            );
        }
    }
    let name = format!(
        "athena query over silver, {} events",
        thousands(lake.events)
    );
    run_queries(c, lake, &name, &once);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    writer_throughput(&mut c);
    let lake = Lake::new();
    // At a million events each bronze query takes a minute or more: STARLING_BENCH_SILVER_ONLY=1
    // skips them (and their first runs, which happen whatever criterion's filter).
    if std::env::var_os("STARLING_BENCH_SILVER_ONLY").is_none() {
        queries(&mut c, &lake);
    }
    compaction(&mut c, &lake);
    silver_queries(&mut c, &lake);
    drop(lake);
    c.final_summary();
}
