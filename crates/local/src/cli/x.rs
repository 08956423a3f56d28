//! `starling x …`: setting X up for Starling from the command line — the bot's OAuth 2.0
//! authorisation (`login`, `token`), X API v2 webhooks (`webhooks`) and X Activity API
//! subscriptions (`subscriptions`). Every answer of X is shown as X gave it; tokens and secrets
//! never are (except `login --print`, which prints the tokens for Secrets Manager on purpose).

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use serde_json::{Value, json};
use starling_x::oauth2::{self, Client, Pkce, Tokens};

use super::Global;
use crate::DataDir;

/// Options of `starling x`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of X's API (the token endpoint, webhooks, subscriptions).
    #[arg(
        long,
        global = true,
        env = "STARLING_X_API_BASE",
        default_value = "https://api.x.com",
        value_name = "URL"
    )]
    pub x_api_base: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Authorise Starling as the bot (OAuth 2.0 with PKCE, a loopback redirect); the tokens are
    /// kept 0600 in the data directory, or printed with --print.
    Login(Login),
    /// Show the stored tokens' expiry and scopes, renewing them when close to expiry (or with
    /// --refresh).
    Token(Token),
    /// X API v2 webhooks (app bearer token): register URL | list | validate ID | delete ID.
    Webhooks(Webhooks),
    /// X Activity API subscriptions for the bot (its OAuth 2.0 token): create | list | delete ID.
    Subscriptions(Subscriptions),
}

/// The app's OAuth 2.0 client.
#[derive(Debug, clap::Args)]
struct ClientArgs {
    /// The app's OAuth 2.0 client id (developer portal, "Keys and tokens").
    #[arg(long, global = true, env = "STARLING_X_CLIENT_ID", value_name = "ID")]
    client_id: Option<String>,
    /// The client secret of a confidential client (omit for a public client).
    #[arg(
        long,
        global = true,
        env = "STARLING_X_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    client_secret: Option<String>,
    /// Where X asks the user to authorise the app.
    #[arg(long, global = true, env = "STARLING_X_AUTHORIZE_URL", default_value = oauth2::AUTHORIZE_URL, value_name = "URL")]
    authorize_url: String,
}

#[derive(Debug, clap::Args)]
struct Login {
    #[command(flatten)]
    client: ClientArgs,
    /// Loopback port of the redirect `http://127.0.0.1:PORT/callback` (register exactly this URL
    /// as the app's callback).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Print the tokens (JSON, for Secrets Manager) instead of keeping them in the data directory.
    #[arg(long)]
    print: bool,
    /// How long to wait for the authorisation, in seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

#[derive(Debug, clap::Args)]
struct Token {
    #[command(flatten)]
    client: ClientArgs,
    /// Renew the access token now.
    #[arg(long)]
    refresh: bool,
}

#[derive(Debug, clap::Args)]
struct Webhooks {
    /// The app's bearer token (app-only).
    #[arg(
        long,
        env = "STARLING_X_BEARER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    bearer_token: String,
    #[command(subcommand)]
    action: WebhookAction,
}

#[derive(Debug, clap::Subcommand)]
enum WebhookAction {
    /// Register a webhook URL (X sends it a CRC check at once).
    Register {
        /// The HTTPS URL, e.g. the Ingress stack's WebhookUrl output.
        url: String,
    },
    /// List the app's webhooks.
    List,
    /// Ask X to re-check a webhook (CRC) and re-enable it.
    Validate {
        /// The webhook id.
        id: String,
    },
    /// Delete a webhook.
    Delete {
        /// The webhook id.
        id: String,
    },
}

#[derive(Debug, clap::Args)]
struct Subscriptions {
    #[command(flatten)]
    client: ClientArgs,
    #[command(subcommand)]
    action: SubscriptionAction,
}

#[derive(Debug, clap::Subcommand)]
enum SubscriptionAction {
    /// Subscribe to events of the bot's account (its user id as the filter).
    Create {
        /// The event type, e.g. `post.mention.create`.
        #[arg(long = "event", default_value = "post.mention.create")]
        event: String,
        /// The bot's X user id.
        #[arg(long, env = crate::settings::BOT_USER_ID, value_name = "ID")]
        bot_user_id: String,
        /// Deliver to this webhook too (else only the stream).
        #[arg(long, value_name = "ID")]
        webhook_id: Option<String>,
        /// A tag X puts on each event.
        #[arg(long, default_value = "starling")]
        tag: String,
    },
    /// List the app's subscriptions.
    List,
    /// Delete a subscription.
    Delete {
        /// The subscription id.
        id: String,
    },
}

fn client(args: &ClientArgs, api_base: &str) -> anyhow::Result<Client> {
    let Some(client_id) = args.client_id.clone().filter(|c| !c.is_empty()) else {
        bail!("the app's OAuth 2.0 client id is needed: --client-id or STARLING_X_CLIENT_ID");
    };
    Ok(Client {
        client_id,
        client_secret: args.client_secret.clone().filter(|s| !s.is_empty()),
        authorize_url: args.authorize_url.clone(),
        token_url: format!("{}/2/oauth2/token", api_base.trim_end_matches('/')),
    })
}

fn http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("starling/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Runs `starling x …`.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    match args.command {
        Command::Login(login) => run_login(&data_dir, &args.x_api_base, login).await,
        Command::Token(token) => {
            let client = client(&token.client, &args.x_api_base)?;
            let tokens = stored_tokens(&data_dir, &client, token.refresh).await?;
            println!(
                "Access token valid until {} (scopes: {}); refresh token {}",
                tokens.expires_at.to_rfc3339(),
                tokens.scope,
                if tokens.refresh_token.is_some() {
                    "kept"
                } else {
                    "absent"
                }
            );
            Ok(())
        }
        Command::Webhooks(w) => {
            let base = format!("{}/2/webhooks", args.x_api_base.trim_end_matches('/'));
            let (method, url, body) = match w.action {
                WebhookAction::Register { url } => ("POST", base, Some(json!({ "url": url }))),
                WebhookAction::List => ("GET", base, None),
                WebhookAction::Validate { id } => {
                    ("PUT", format!("{base}/{}", path_id(&id)?), None)
                }
                WebhookAction::Delete { id } => {
                    ("DELETE", format!("{base}/{}", path_id(&id)?), None)
                }
            };
            show(call(method, &url, &w.bearer_token, body).await?)
        }
        Command::Subscriptions(s) => {
            let client = client(&s.client, &args.x_api_base)?;
            let tokens = stored_tokens(&data_dir, &client, false).await?;
            let base = format!(
                "{}/2/activity/subscriptions",
                args.x_api_base.trim_end_matches('/')
            );
            let (method, url, body) = match s.action {
                SubscriptionAction::Create {
                    event,
                    bot_user_id,
                    webhook_id,
                    tag,
                } => {
                    let mut body = json!({
                        "event_type": event,
                        "filter": { "user_id": path_id(&bot_user_id)? },
                        "tag": tag,
                    });
                    if let Some(id) = webhook_id {
                        body["webhook_id"] = json!(path_id(&id)?);
                    }
                    ("POST", base, Some(body))
                }
                SubscriptionAction::List => ("GET", base, None),
                SubscriptionAction::Delete { id } => {
                    ("DELETE", format!("{base}/{}", path_id(&id)?), None)
                }
            };
            show(call(method, &url, &tokens.access_token, body).await?)
        }
    }
}

/// An X id going into a URL path: digits only.
fn path_id(id: &str) -> anyhow::Result<&str> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{id:?} is not an X id (digits only)");
    }
    Ok(id)
}

async fn call(
    method: &str,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let http = http()?;
    let mut request = match method {
        "POST" => http.post(url),
        "PUT" => http.put(url),
        "DELETE" => http.delete(url),
        _ => http.get(url),
    }
    .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("{method} {url}: X could not be reached"))?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok((status, json))
}

/// Prints X's answer; a refusal is an error with X's own title and detail.
fn show((status, json): (u16, Value)) -> anyhow::Result<()> {
    if (200..300).contains(&status) {
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let pick = |k: &str| {
        json.get(k)
            .or_else(|| json.pointer(&format!("/errors/0/{k}")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    bail!("X answered {status}: {}: {}", pick("title"), pick("detail"))
}

async fn run_login(data_dir: &DataDir, api_base: &str, login: Login) -> anyhow::Result<()> {
    let client = client(&login.client, api_base)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", login.port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{} for X's redirect", login.port))?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let state = uuid::Uuid::new_v4().simple().to_string();
    let pkce = Pkce::new();
    println!("Open this URL in a browser signed in as the bot's X account, and allow access:");
    println!("{}", client.authorize_url(&redirect_uri, &state, &pkce));
    println!("Waiting for X's redirect to {redirect_uri} …");
    std::io::stdout().flush()?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1);
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |uri: axum::http::Uri| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(uri.query().unwrap_or_default().to_string()).await;
                axum::response::Html(
                    "<p>Starling is authorised (or was refused: see the terminal). You can close this tab.</p>",
                )
            }
        }),
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    let query = tokio::time::timeout(Duration::from_secs(login.timeout), rx.recv())
        .await
        .context("no authorisation arrived in time")?
        .context("the redirect listener stopped")?;
    let _ = stop_tx.send(());
    let _ = server.await;
    let code = oauth2::code_from_redirect(&query, &state)?;
    let tokens = client
        .exchange_code(&http()?, &code, &redirect_uri, &pkce, Utc::now())
        .await?;
    if login.print {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
    } else {
        save_tokens(data_dir, &tokens)?;
        println!(
            "Authorised (scopes: {}); tokens kept in {} (0600), valid until {}",
            tokens.scope,
            data_dir.x_tokens().display(),
            tokens.expires_at.to_rfc3339()
        );
    }
    Ok(())
}

/// The stored tokens, renewed (and saved) first when close to expiry or when `force`d.
async fn stored_tokens(data_dir: &DataDir, client: &Client, force: bool) -> anyhow::Result<Tokens> {
    let path = data_dir.x_tokens();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no tokens at {}: run `starling x login` first",
            path.display()
        )
    })?;
    let tokens: Tokens = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a token file", path.display()))?;
    if !force && !tokens.needs_refresh(Utc::now()) {
        return Ok(tokens);
    }
    let renewed = client.refresh(&http()?, &tokens, Utc::now()).await?;
    save_tokens(data_dir, &renewed)?;
    Ok(renewed)
}

/// Writes the tokens 0600 (replacing the file atomically: a crash leaves the old tokens).
fn save_tokens(data_dir: &DataDir, tokens: &Tokens) -> anyhow::Result<()> {
    data_dir.create()?;
    let path = data_dir.x_tokens();
    let tmp = path.with_extension("json.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.write_all(serde_json::to_string_pretty(tokens)?.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
