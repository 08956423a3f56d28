//! Starling's event contracts: the EventBridge envelope and every detail type (DESIGN.md, "Event contracts").
//!
//! Detail fields are PascalCase, as the original system's Athena queries expect. Rekognition- and
//! Comprehend-shaped results keep the services' own field names whichever provider produced them.
//! `schemas/` holds one JSON Schema per detail-type, generated from these types by [`schema::all`].

pub mod analysis;
pub mod envelope;
pub mod error_kind;
pub mod message;
pub mod responding;
pub mod schema;

pub use analysis::*;
pub use envelope::*;
pub use error_kind::ErrorKind;
pub use message::*;
pub use responding::*;

/// Event sources, one per microservice that publishes.
pub mod source {
    /// Ingress: raw X activity and MESSAGE_RECEIVED.
    pub const TWITTER: &str = "starling.twitter";
    /// The analyse-message state machine.
    pub const ANALYSIS: &str = "starling.analysis";
    /// reply-image and reply-text.
    pub const RESPONDING: &str = "starling.responding";
    /// Egress: outcomes of posting on X.
    pub const EGRESS: &str = "starling.egress";
}

/// Detail-types Starling's own services publish (raw X activity uses `TWITTER_<KIND>`).
pub mod detail_type {
    /// A post for the bot to look at (the domain event).
    pub const MESSAGE_RECEIVED: &str = "MESSAGE_RECEIVED";
    /// A message with its text and image analysis.
    pub const MESSAGE_ANALYSED: &str = "MESSAGE_ANALYSED";
    /// A message whose analysis failed, with the stage and cause.
    pub const MESSAGE_ANALYSIS_FAILED: &str = "MESSAGE_ANALYSIS_FAILED";
    /// A reply to post on X.
    pub const SEND_TWEET: &str = "SEND_TWEET";
    /// A reply was posted.
    pub const TWEET_SENT: &str = "TWEET_SENT";
    /// A reply could not be posted.
    pub const TWEET_FAILED: &str = "TWEET_FAILED";
    /// A reply the bot did not post, with the reason (reply policy, moderation, dry run).
    pub const REPLY_SUPPRESSED: &str = "REPLY_SUPPRESSED";
    /// The moderation gate flagged a message or its images (published with the REPLY_SUPPRESSED
    /// `moderation` it causes; ops are alerted when `Alert` is true).
    pub const MODERATION_FLAGGED: &str = "MODERATION_FLAGGED";
    /// The repost rule reposted a keyword-search match from a curated author.
    pub const REPOSTED: &str = "REPOSTED";
    /// A keyword-search match the repost rule did not repost, with the reason.
    pub const REPOST_SUPPRESSED: &str = "REPOST_SUPPRESSED";
    /// An activity key X sent that Starling does not know (kept raw, never dropped).
    pub const TWITTER_UNKNOWN: &str = "TWITTER_UNKNOWN";
    /// Every raw X activity kind, in the brief's order.
    pub const TWITTER_KINDS: [&str; 13] = [
        "TWITTER_TWEETED",
        "TWITTER_FAVOURITED",
        "TWITTER_FOLLOWED",
        "TWITTER_UNFOLLOWED",
        "TWITTER_BLOCKED",
        "TWITTER_UNBLOCKED",
        "TWITTER_MUTED",
        "TWITTER_UNMUTED",
        "TWITTER_PERMISSION_REVOKED",
        "TWITTER_DM_RECEIVED",
        "TWITTER_DM_TYPING",
        "TWITTER_DM_MARKED_READ",
        "TWITTER_DELETED",
    ];
}
