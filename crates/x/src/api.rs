//! The X API v2 calls egress makes — image upload, reply, and a look at the bot's own recent posts
//! — each signed with OAuth 1.0a user context. Errors are sorted by what the caller can do: wait
//! ([`XApiError::RateLimited`]), give up ([`XApiError::Permanent`], with X's own title and
//! detail), retry later ([`XApiError::Transient`]), or, when a post's answer was lost after the
//! request reached X, look before posting again ([`XApiError::Uncertain`]). Credentials go only into the `Authorization` header: never into a
//! URL, an error or a log line.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::oauth::{Credentials, Request, Signer};

/// X's API host; both endpoints live on it since media upload moved to v2.
pub const DEFAULT_BASE: &str = "https://api.x.com";
/// The media category of images attached to posts.
pub const TWEET_IMAGE: &str = "tweet_image";

/// Where the API is and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XApiConfig {
    /// Base URL of `POST /2/tweets` (no trailing slash), e.g. `https://api.x.com`.
    pub api_base: String,
    /// Base URL of `POST /2/media/upload`.
    pub upload_base: String,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
}

impl Default for XApiConfig {
    fn default() -> Self {
        Self {
            api_base: DEFAULT_BASE.into(),
            upload_base: DEFAULT_BASE.into(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XApiError {
    /// 429: X asks to wait until `reset_at` (Unix seconds, from `x-rate-limit-reset`) when it said.
    #[error("rate limited by X{}", reset_at.map(|r| format!(" until {r} (unix seconds)")).unwrap_or_default())]
    RateLimited {
        /// When the window resets, in Unix seconds.
        reset_at: Option<i64>,
    },
    /// A 4xx other than 429 (or a 2xx carrying only errors): sending again will not help.
    #[error("X refused the request with {status}: {title}: {detail}")]
    Permanent {
        /// HTTP status.
        status: u16,
        /// X's problem title, e.g. `Forbidden`.
        title: String,
        /// X's problem detail, e.g. `You are not permitted to perform this action.`
        detail: String,
    },
    /// 5xx, a timeout, a connection failure or an unreadable answer: retrying later may help.
    #[error("X unavailable: {0}")]
    Transient(String),
    /// A post whose answer was lost after the request may have reached X (a timeout or dropped
    /// connection after sending, an unreadable body, a 2xx without `data.id`, a 408 or 5xx):
    /// X may have created the post, so look before posting again.
    #[error("X's answer to the post was lost; it may have been posted: {0}")]
    Uncertain(String),
}

/// What sending a request again could do, which decides how a lost answer is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Nothing anyone sees (an upload or a read): a lost answer is [`XApiError::Transient`].
    Harmless,
    /// A second post: a lost answer is [`XApiError::Uncertain`].
    MayHavePosted,
}

/// Pages of the bot's recent posts read when looking for an earlier reply (100 posts a page).
pub const MAX_LOOKUP_PAGES: usize = 5;

/// The post fields a read asks for: what [`crate::payload::post_from_v2`] reads.
pub const POST_FIELDS: &str = "author_id,created_at,lang,entities,attachments,referenced_tweets,\
conversation_id,in_reply_to_user_id,display_text_range,note_tweet";
/// The expansions a read asks for: the author's handle, the media, the referenced posts (and
/// their authors, for a quote of the bot).
pub const POST_EXPANSIONS: &str =
    "author_id,attachments.media_keys,referenced_tweets.id,referenced_tweets.id.author_id";

/// Where a page of a timeline read starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery {
    /// Only posts newer than this id (the checkpoint).
    pub since_id: Option<String>,
    /// Only posts from this time on (a first poll with no checkpoint).
    pub start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// The `meta.next_token` of the previous page.
    pub pagination_token: Option<String>,
}

/// The X API client. Cheap to clone; one connection pool, shared by the clones.
#[derive(Debug, Clone)]
pub struct XApi {
    /// Made on the first request, not here: building it loads the platform's root certificates
    /// (a few milliseconds of file reads and parsing), which a Lambda would otherwise pay in its
    /// init on top of the AWS SDK's own load of them, also for invocations that never reach X.
    http: Arc<OnceLock<reqwest::Client>>,
    config: XApiConfig,
}

impl XApi {
    /// A client for `config`.
    pub fn new(config: XApiConfig) -> Self {
        Self {
            http: Arc::default(),
            config,
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(self.config.timeout)
                .user_agent(concat!("starling/", env!("CARGO_PKG_VERSION")))
                .build()
                .unwrap_or_default()
        })
    }

    /// The configuration.
    pub fn config(&self) -> &XApiConfig {
        &self.config
    }

    /// Uploads an image (`POST /2/media/upload`, one request, base64 in a JSON body) and returns
    /// its media id for [`XApi::post_reply`].
    pub async fn upload_image(
        &self,
        credentials: &Credentials,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<String, XApiError> {
        let url = format!(
            "{}/2/media/upload",
            self.config.upload_base.trim_end_matches('/')
        );
        let body = json!({
            "media": STANDARD.encode(bytes),
            "media_category": TWEET_IMAGE,
            "media_type": media_type,
        });
        let answer = self
            .post_json(credentials, &url, &body, Effect::Harmless)
            .await?;
        string_at(&answer, "/data/id")
            .or_else(|| string_at(&answer, "/data/media_id"))
            .or_else(|| string_at(&answer, "/media_id_string"))
            .ok_or_else(|| XApiError::Transient("media upload answer has no data.id".into()))
    }

    /// Posts `text` as a reply to `in_reply_to` (`POST /2/tweets`) with up to four uploaded
    /// media, and returns the new post's id.
    pub async fn post_reply(
        &self,
        credentials: &Credentials,
        text: &str,
        in_reply_to: &str,
        media_ids: &[String],
    ) -> Result<String, XApiError> {
        let url = format!("{}/2/tweets", self.config.api_base.trim_end_matches('/'));
        let mut body = json!({
            "text": text,
            "reply": { "in_reply_to_tweet_id": in_reply_to },
        });
        if !media_ids.is_empty() {
            body["media"] = json!({ "media_ids": media_ids });
        }
        let answer = self
            .post_json(credentials, &url, &body, Effect::MayHavePosted)
            .await?;
        string_at(&answer, "/data/id")
            .ok_or_else(|| XApiError::Uncertain("the post's answer has no data.id".into()))
    }

    /// Reposts `post_id` as the user `user_id` (`POST /2/users/:id/retweets`) and returns the
    /// repost's id when X gives one. X keeps one repost per user and post, so a repeated call
    /// cannot repost twice: a lost answer is worth retrying ([`XApiError::Transient`]).
    pub async fn repost(
        &self,
        credentials: &Credentials,
        user_id: &str,
        post_id: &str,
    ) -> Result<Option<String>, XApiError> {
        let url = format!(
            "{}/2/users/{user_id}/retweets",
            self.config.api_base.trim_end_matches('/')
        );
        let answer = self
            .post_json(
                credentials,
                &url,
                &json!({ "tweet_id": post_id }),
                Effect::Harmless,
            )
            .await?;
        if answer.pointer("/data/retweeted").and_then(Value::as_bool) == Some(false) {
            return Err(XApiError::Permanent {
                status: 200,
                title: "Not reposted".into(),
                detail: format!("X answered that {post_id} was not reposted"),
            });
        }
        Ok(string_at(&answer, "/data/rest_id"))
    }

    /// The id of the bot's reply to `in_reply_to` among its posts since `since` (`GET
    /// /2/users/:id/tweets`, newest first, up to [`MAX_LOOKUP_PAGES`] pages of 100), if any. X
    /// bills each post read as an owned read.
    pub async fn find_reply(
        &self,
        credentials: &Credentials,
        bot_user_id: &str,
        in_reply_to: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<String>, XApiError> {
        if bot_user_id.is_empty() || !bot_user_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(XApiError::Permanent {
                status: 0,
                title: "Bad configuration".into(),
                detail: "the bot's user id must be digits".into(),
            });
        }
        let base = format!(
            "{}/2/users/{bot_user_id}/tweets",
            self.config.api_base.trim_end_matches('/')
        );
        // X takes start_time to the second (RFC 3339, "Z").
        let start = since.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let mut token: Option<String> = None;
        for _ in 0..MAX_LOOKUP_PAGES {
            let mut url = reqwest::Url::parse(&base)
                .map_err(|e| XApiError::Transient(format!("bad X API base: {e}")))?;
            url.query_pairs_mut()
                .append_pair("max_results", "100")
                .append_pair("start_time", &start)
                .append_pair("tweet.fields", "referenced_tweets");
            if let Some(t) = &token {
                url.query_pairs_mut().append_pair("pagination_token", t);
            }
            let page = self.get_json(credentials, url.as_str()).await?;
            if let Some(id) = reply_in_page(&page, in_reply_to) {
                return Ok(Some(id));
            }
            token = string_at(&page, "/meta/next_token");
            if token.is_none() {
                break;
            }
        }
        Ok(None)
    }

    /// One page of the posts mentioning `user_id` (`GET /2/users/:id/mentions`, newest first, up
    /// to 100), with the fields and expansions that make each post map exactly as the X Activity
    /// API's `post.mention.create` does. X keeps the 800 most recent.
    pub async fn mentions(
        &self,
        credentials: &Credentials,
        user_id: &str,
        page: &PageQuery,
    ) -> Result<Value, XApiError> {
        if user_id.is_empty() || !user_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(XApiError::Permanent {
                status: 0,
                title: "Bad configuration".into(),
                detail: "the bot's user id must be digits".into(),
            });
        }
        let url = self.page_url(
            &format!("/2/users/{user_id}/mentions"),
            &[],
            page,
            "pagination_token",
        )?;
        self.get_json(credentials, url.as_str()).await
    }

    /// One page of recent posts matching `query` (`GET /2/tweets/search/recent`, the last 7 days,
    /// newest first, up to 100), with the same fields and expansions as [`XApi::mentions`].
    pub async fn search_recent(
        &self,
        credentials: &Credentials,
        query: &str,
        page: &PageQuery,
    ) -> Result<Value, XApiError> {
        // Search pages with `next_token` (timelines with `pagination_token`).
        let url = self.page_url(
            "/2/tweets/search/recent",
            &[("query", query)],
            page,
            "next_token",
        )?;
        self.get_json(credentials, url.as_str()).await
    }

    /// Opens the X Activity API's persistent stream (`GET /2/activity/stream`, the app's bearer
    /// token): events of the app's subscriptions, one JSON object per line, with blank keep-alive
    /// lines. No timeout applies to the open stream; a silent one is the caller's to detect.
    pub async fn open_activity_stream(&self, bearer_token: &str) -> Result<LineStream, XApiError> {
        let url = format!(
            "{}/2/activity/stream",
            self.config.api_base.trim_end_matches('/')
        );
        // A client of its own: the API client's request timeout would cut the stream.
        let http = reqwest::Client::builder()
            .connect_timeout(self.config.timeout)
            .user_agent(concat!("starling/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| XApiError::Transient(describe(&e)))?;
        let response = http
            .get(&url)
            .bearer_auth(bearer_token)
            .send()
            .await
            .map_err(|e| XApiError::Transient(describe(&e)))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let reset_at = response
                .headers()
                .get("x-rate-limit-reset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok());
            let body = response.bytes().await.unwrap_or_default();
            return Err(classify(status, reset_at, &body)
                .err()
                .unwrap_or_else(|| XApiError::Transient(format!("{status} from the stream"))));
        }
        Ok(LineStream {
            response,
            buffer: Vec::new(),
        })
    }

    /// The URL of one page of a posts read at `path`: `extra` parameters, 100 posts with
    /// [`POST_FIELDS`] and [`POST_EXPANSIONS`], and where the page starts (`token_param` names
    /// the endpoint's pagination parameter).
    fn page_url(
        &self,
        path: &str,
        extra: &[(&str, &str)],
        page: &PageQuery,
        token_param: &str,
    ) -> Result<reqwest::Url, XApiError> {
        let mut url = reqwest::Url::parse(&format!(
            "{}{path}",
            self.config.api_base.trim_end_matches('/')
        ))
        .map_err(|e| XApiError::Transient(format!("bad X API base: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in extra {
                q.append_pair(k, v);
            }
            q.append_pair("max_results", "100")
                .append_pair("tweet.fields", POST_FIELDS)
                .append_pair("expansions", POST_EXPANSIONS)
                .append_pair("user.fields", "username,name")
                .append_pair("media.fields", "type,url,preview_image_url,alt_text");
            if let Some(since) = &page.since_id {
                q.append_pair("since_id", since);
            }
            if let Some(start) = page.start_time {
                q.append_pair(
                    "start_time",
                    &start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                );
            }
            if let Some(token) = &page.pagination_token {
                q.append_pair(token_param, token);
            }
        }
        Ok(url)
    }

    async fn get_json(&self, credentials: &Credentials, url: &str) -> Result<Value, XApiError> {
        let authorization = sign(credentials, "GET", url)?;
        let response = self
            .http()
            .get(url)
            .header("authorization", authorization)
            .send()
            .await
            .map_err(|e| XApiError::Transient(describe(&e)))?;
        read(response, Effect::Harmless).await
    }

    async fn post_json(
        &self,
        credentials: &Credentials,
        url: &str,
        body: &Value,
        effect: Effect,
    ) -> Result<Value, XApiError> {
        // A JSON body is not part of an OAuth 1.0a signature (RFC 5849 §3.4.1.3.1).
        let authorization = sign(credentials, "POST", url)?;
        let response = self
            .http()
            .post(url)
            .header("authorization", authorization)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| {
                // Refused before connecting: X never saw it. Otherwise it may have.
                if e.is_connect() {
                    XApiError::Transient(describe(&e))
                } else {
                    lost(effect, describe(&e))
                }
            })?;
        read(response, effect).await
    }
}

/// An open stream read line by line (`\n` or `\r\n`); blank lines are X's keep-alives.
#[derive(Debug)]
pub struct LineStream {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

/// The longest line kept (X's events are a few KB): a longer one is an error, not memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

impl LineStream {
    /// The next line without its end, `Ok(None)` when X closed the stream.
    pub async fn next_line(&mut self) -> Result<Option<String>, XApiError> {
        loop {
            if let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            if self.buffer.len() > MAX_LINE_BYTES {
                return Err(XApiError::Transient(format!(
                    "a stream line over {MAX_LINE_BYTES} bytes"
                )));
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.buffer.extend_from_slice(&chunk),
                Ok(None) => return Ok(None),
                Err(e) => return Err(XApiError::Transient(describe(&e))),
            }
        }
    }
}

fn sign(credentials: &Credentials, method: &str, url: &str) -> Result<String, XApiError> {
    Signer::new(credentials.clone())
        .authorization(Request {
            method,
            url,
            form_body: None,
        })
        .map_err(|e| XApiError::Permanent {
            status: 0,
            title: "Bad configuration".into(),
            detail: e.to_string(),
        })
}

/// A lost answer, reported by what sending again could do.
fn lost(effect: Effect, reason: String) -> XApiError {
    match effect {
        Effect::Harmless => XApiError::Transient(reason),
        Effect::MayHavePosted => XApiError::Uncertain(reason),
    }
}

/// Reads and classifies an answer; an answer lost on the way is reported by `effect`.
async fn read(response: reqwest::Response, effect: Effect) -> Result<Value, XApiError> {
    let status = response.status().as_u16();
    let reset_at = response
        .headers()
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let bytes = response
        .bytes()
        .await
        .map_err(|e| lost(effect, describe(&e)))?;
    classify(status, reset_at, &bytes).map_err(|e| match e {
        XApiError::Transient(reason) => lost(effect, reason),
        other => other,
    })
}

/// The id of a post in a page of `GET /2/users/:id/tweets` that replies to `in_reply_to`.
fn reply_in_page(page: &Value, in_reply_to: &str) -> Option<String> {
    page.get("data")?.as_array()?.iter().find_map(|post| {
        let replies = post.get("referenced_tweets")?.as_array()?.iter().any(|r| {
            r.get("type").and_then(Value::as_str) == Some("replied_to")
                && r.get("id").and_then(Value::as_str) == Some(in_reply_to)
        });
        if replies {
            string_at(post, "/id")
        } else {
            None
        }
    })
}

/// Sorts an answer into success (its JSON) or one of [`XApiError`]'s kinds.
pub fn classify(status: u16, reset_at: Option<i64>, body: &[u8]) -> Result<Value, XApiError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    match status {
        200..=299 => {
            let json =
                json.ok_or_else(|| XApiError::Transient(format!("{status} answer is not JSON")))?;
            if json.get("data").is_none() && json.get("errors").is_some() {
                let (title, detail) = problem(Some(&json), status);
                return Err(XApiError::Permanent {
                    status,
                    title,
                    detail,
                });
            }
            Ok(json)
        }
        429 => Err(XApiError::RateLimited { reset_at }),
        408 | 500..=599 => {
            let (title, detail) = problem(json.as_ref(), status);
            Err(XApiError::Transient(format!("{status} {title}: {detail}")))
        }
        _ => {
            let (title, detail) = problem(json.as_ref(), status);
            Err(XApiError::Permanent {
                status,
                title,
                detail,
            })
        }
    }
}

#[derive(Deserialize)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    message: Option<String>,
    code: Option<Value>,
}

/// X's title and detail from a problem (`{title, detail, type, status}`), a v2 error list
/// (`{errors: [{title, detail}]}`) or a v1.1 one (`{errors: [{code, message}]}`).
fn problem(json: Option<&Value>, status: u16) -> (String, String) {
    let default_title = http_reason(status).to_string();
    let Some(json) = json else {
        return (default_title, "no details given".into());
    };
    let top: Option<Problem> = serde_json::from_value(json.clone()).ok();
    let first: Option<Problem> = json
        .get("errors")
        .and_then(|e| e.get(0))
        .and_then(|e| serde_json::from_value(e.clone()).ok());
    let pick = |f: fn(&Problem) -> Option<String>| {
        top.as_ref()
            .and_then(f)
            .or_else(|| first.as_ref().and_then(f))
    };
    let title = pick(|p| p.title.clone()).unwrap_or(default_title);
    let detail = pick(|p| p.detail.clone())
        .or_else(|| {
            pick(|p| {
                p.message.clone().map(|m| match &p.code {
                    Some(code) => format!("{m} (code {code})"),
                    None => m,
                })
            })
        })
        .unwrap_or_else(|| "no details given".into());
    (title, detail)
}

fn http_reason(status: u16) -> &'static str {
    http_status_reason(status).unwrap_or("Error")
}

fn http_status_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

fn string_at(json: &Value, pointer: &str) -> Option<String> {
    match json.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A transport error without its URL's query (there is none with credentials, but stay safe).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match e.url() {
        Some(url) => format!(
            "{kind}: {}{}",
            url.origin().ascii_serialization(),
            url.path()
        ),
        None => kind.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn success_returns_the_json() {
        let v = classify(201, None, br#"{"data":{"id":"1","text":"hi"}}"#).unwrap();
        assert_eq!(string_at(&v, "/data/id").as_deref(), Some("1"));
    }

    #[test]
    fn a_429_carries_the_reset_time() {
        assert_eq!(
            classify(429, Some(1_700_000_000), b"{}"),
            Err(XApiError::RateLimited {
                reset_at: Some(1_700_000_000)
            })
        );
        assert_eq!(
            classify(429, None, b""),
            Err(XApiError::RateLimited { reset_at: None })
        );
    }

    #[test]
    fn a_403_problem_keeps_x_title_and_detail() {
        let body = br#"{"title":"Forbidden","detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","status":403}"#;
        assert_eq!(
            classify(403, None, body),
            Err(XApiError::Permanent {
                status: 403,
                title: "Forbidden".into(),
                detail: "You are not allowed to create a Tweet with duplicate content.".into()
            })
        );
    }

    #[test]
    fn error_lists_v2_and_v1_are_read() {
        let v2 = br#"{"errors":[{"title":"Invalid Request","detail":"reply.in_reply_to_tweet_id is invalid"}]}"#;
        assert!(matches!(
            classify(400, None, v2),
            Err(XApiError::Permanent { title, detail, .. })
                if title == "Invalid Request" && detail.contains("in_reply_to")
        ));
        let v1 = br#"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#;
        assert!(matches!(
            classify(401, None, v1),
            Err(XApiError::Permanent { title, detail, .. })
                if title == "Unauthorized" && detail == "Could not authenticate you. (code 32)"
        ));
        // A 200 carrying only errors is a refusal too.
        assert!(matches!(
            classify(200, None, v2),
            Err(XApiError::Permanent { .. })
        ));
    }

    #[test]
    fn the_reply_is_found_in_a_page_of_the_bots_posts() {
        let page = serde_json::json!({
            "data": [
                {"id": "10", "text": "a post", "edit_history_tweet_ids": ["10"]},
                {"id": "11", "text": "a quote", "referenced_tweets": [{"type": "quoted", "id": "5"}]},
                {"id": "12", "text": "@a hi", "referenced_tweets": [{"type": "replied_to", "id": "5"}]},
            ],
            "meta": {"result_count": 3, "newest_id": "12", "oldest_id": "10"}
        });
        assert_eq!(reply_in_page(&page, "5").as_deref(), Some("12"));
        assert_eq!(reply_in_page(&page, "6"), None);
        assert_eq!(
            reply_in_page(&serde_json::json!({"meta": {"result_count": 0}}), "5"),
            None
        );
    }

    #[test]
    fn a_lost_answer_is_uncertain_only_where_it_may_have_posted() {
        assert_eq!(
            lost(Effect::MayHavePosted, "timed out".into()),
            XApiError::Uncertain("timed out".into())
        );
        assert_eq!(
            lost(Effect::Harmless, "timed out".into()),
            XApiError::Transient("timed out".into())
        );
    }

    #[test]
    fn server_errors_and_garbage_are_transient() {
        assert!(matches!(
            classify(503, None, b"<html>"),
            Err(XApiError::Transient(m)) if m.contains("503")
        ));
        assert!(matches!(
            classify(200, None, b"not json"),
            Err(XApiError::Transient(_))
        ));
    }
}
