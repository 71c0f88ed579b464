//! Notifications that lose nothing. `Core::notify` writes the in-app notification and, in the
//! same transaction, one outbox row per e-mail recipient (the organisation's sharing contacts
//! who have not muted the event) and per webhook of the organisation. The `Worker` delivers
//! them: e-mail over SMTP (STARTTLS when the URL asks for it), webhooks signed with
//! HMAC-SHA256 over the timestamp and body. Messages carry a neutral subject, the item number,
//! its TLP and a link, never the content of an item.

use std::time::Duration;

use hmac::{Hmac, Mac};
use kyoyu_domain::messages::{Locale, Msg, ja, t};
use kyoyu_domain::policy::ItemKind;
use kyoyu_domain::{ItemId, OrgId, Tlp};
use kyoyu_store::{Notice, OutboxRow, Tx};
use sha2::Sha256;

use crate::{Core, Result};

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `smtp://host:25`, `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465`; none
    /// disables e-mail (rows stay pending until a server is configured).
    pub smtp_url: Option<String>,
    pub from: String,
    /// The service's public address, for links in messages.
    pub base_url: String,
    pub max_attempts: i64,
    /// First retry after this many seconds, doubling each time.
    pub backoff_secs: i64,
    /// How long a claim lasts before another worker may take the row.
    pub claim_secs: i64,
    pub batch: i64,
    pub poll: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            from: "kyoyu@localhost".to_owned(),
            base_url: "http://127.0.0.1:8080".to_owned(),
            max_attempts: 8,
            backoff_secs: 30,
            claim_secs: 120,
            batch: 20,
            poll: Duration::from_secs(2),
        }
    }
}

/// The events a user can choose to be e-mailed about (labels: catalogue `notify_event.*`).
pub const EVENTS: &[&str] = &[
    "report_received",
    "report_numbered",
    "advisory_delivered",
    "scope_request",
    "scope_request_decided",
    "inquiry",
    "inquiry_answered",
    "risk_review",
];

/// The item a notification is about, as the event's use case knows it.
#[derive(Debug, Clone, Copy)]
pub struct About {
    pub kind: ItemKind,
    pub id: ItemId,
    pub tlp: Tlp,
}

impl Core {
    /// The in-app notification plus its e-mails and webhook calls, in the caller's transaction.
    pub(crate) async fn notify(
        &self,
        tx: &mut Tx,
        org: OrgId,
        kind: &str,
        item: Option<About>,
        message: &str,
    ) -> Result<()> {
        self.notify_many(tx, &[org], kind, item, message).await
    }

    /// [`Core::notify`] for many organisations with few statements (an advisory reaching
    /// thousands of operators).
    pub(crate) async fn notify_many(
        &self,
        tx: &mut Tx,
        orgs: &[OrgId],
        kind: &str,
        item: Option<About>,
        message: &str,
    ) -> Result<()> {
        if orgs.is_empty() {
            return Ok(());
        }
        let now = self.now_ts();
        let base = self.config.notify.base_url.trim_end_matches('/');
        let (link, tlp) = match item {
            Some(i) => {
                let path = match i.kind {
                    ItemKind::Report => "reports",
                    ItemKind::Advisory => "advisories",
                };
                (format!("{base}/{path}/{}", i.id), i.tlp.label().to_owned())
            }
            None => (format!("{base}/"), String::new()),
        };
        let subject = ja("notify.mail_subject", &[("message", message)]);
        let tlp_line = if tlp.is_empty() {
            String::new()
        } else {
            ja("notify.mail_tlp", &[("tlp", &tlp)])
        };
        let body = ja(
            "notify.mail_body",
            &[("message", message), ("tlp", &tlp_line), ("link", &link)],
        );
        tx.notify_orgs(&Notice {
            orgs,
            kind,
            item: item.map(|i| i.id),
            message,
            subject: &subject,
            body: &body,
            at: &now,
        });
        Ok(())
    }

    /// Registers a webhook for an organisation (administration).
    pub async fn add_webhook(
        &self,
        actor: &kyoyu_domain::policy::Actor,
        org_code: &str,
        url: &str,
        secret: &str,
    ) -> Result<i64> {
        if !matches!(actor, kyoyu_domain::policy::Actor::System)
            && !matches!(actor, kyoyu_domain::policy::Actor::User(u) if u.is_admin)
        {
            return Err(crate::CoreError::forbidden());
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(crate::CoreError::invalid(
                "url",
                Msg::new("invalid.webhook_url"),
            ));
        }
        if secret.len() < 16 {
            return Err(crate::CoreError::invalid(
                "secret",
                Msg::new("invalid.webhook_secret"),
            ));
        }
        let mut tx = self.store.begin().await?;
        let org = tx.org_id_by_code(org_code).await?.ok_or_else(|| {
            crate::CoreError::invalid("org", Msg::new("invalid.unknown_org").arg("code", org_code))
        })?;
        let id = tx.add_webhook(org, url, secret, &self.now_ts()).await?;
        self.audit(
            &mut tx,
            actor,
            "webhook_added",
            format!("org:{org}"),
            serde_json::json!({ "webhook": id }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The events the caller is e-mailed about (all but the muted ones).
    pub async fn notification_settings(
        &self,
        s: &crate::Session,
    ) -> Result<Vec<(String, String, bool)>> {
        let muted = self.store.read().await?.mutes_of(s.user_id).await?;
        Ok(EVENTS
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    ja_key(&format!("notify_event.{k}")),
                    !muted.iter().any(|m| m == k),
                )
            })
            .collect())
    }

    pub async fn set_notification_settings(
        &self,
        s: &crate::Session,
        enabled: &[String],
    ) -> Result<()> {
        for e in enabled {
            if !EVENTS.contains(&e.as_str()) {
                return Err(crate::CoreError::invalid(
                    "enabled",
                    Msg::new("invalid.unknown_event").arg("event", e),
                ));
            }
        }
        let muted: Vec<String> = EVENTS
            .iter()
            .map(|k| (*k).to_owned())
            .filter(|k| !enabled.contains(k))
            .collect();
        let mut tx = self.store.begin().await?;
        tx.set_mutes(s.user_id, &muted).await?;
        self.audit(
            &mut tx,
            &s.actor,
            "notification_settings_changed",
            format!("user:{}", s.user_id),
            serde_json::json!({ "muted": muted }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every outbox row (for tests and the administrator).
    pub async fn outbox(&self) -> Result<Vec<OutboxRow>> {
        Ok(self.store.read().await?.outbox_all().await?)
    }
}

fn ja_key(key: &str) -> String {
    t(Locale::Ja, key).to_owned()
}

/// The signature header value of a webhook call: `sha256=<hex HMAC-SHA256 of "ts.body">`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Connects to the SMTP server a URL names and says hello (`kyoyu doctor`); the error in words
/// when it cannot.
pub async fn check_smtp(url: &str) -> std::result::Result<(), String> {
    let mailer: lettre::AsyncSmtpTransport<lettre::Tokio1Executor> =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| e.to_string())?
            .timeout(Some(Duration::from_secs(10)))
            .build();
    match mailer.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err("NOOP".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Delivers the outbox. Several workers (in several processes) may run at once: each row is
/// claimed by one of them at a time.
pub struct Worker {
    core: Core,
    id: String,
    mailer: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
    http: reqwest::Client,
}

impl Worker {
    pub fn new(core: Core) -> Result<Worker> {
        let mailer = match &core.config.notify.smtp_url {
            Some(url) => Some(
                lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                    .map_err(|e| {
                        crate::CoreError::invalid(
                            "smtp_url",
                            Msg::new("invalid.smtp_url").arg("detail", e),
                        )
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(crate::CoreError::internal)?;
        let id = format!("{}-{:x}", std::process::id(), rand::random::<u32>());
        Ok(Worker {
            core,
            id,
            mailer,
            http,
        })
    }

    /// Claims and delivers one batch; returns how many were delivered.
    pub async fn run_once(&self) -> Result<usize> {
        let cfg = &self.core.config.notify;
        let now = self.core.now();
        let until = kyoyu_store::ts(now + chrono::Duration::seconds(cfg.claim_secs));
        let rows = {
            // The outbox shows on no page: its writes leave the generation alone.
            let mut tx = self.core.store.begin_quiet().await?;
            let channels: &[&str] = if self.mailer.is_some() {
                &["email", "webhook"]
            } else {
                &["webhook"]
            };
            let rows = tx
                .claim_outbox(&self.id, channels, &kyoyu_store::ts(now), &until, cfg.batch)
                .await?;
            tx.commit().await?;
            rows
        };
        let mut delivered = 0;
        for row in rows {
            match self.deliver(&row).await {
                Ok(None) => {} // no SMTP server configured: leave it pending
                Ok(Some(())) => {
                    let mut tx = self.core.store.begin_quiet().await?;
                    tx.outbox_sent(row.id, &self.id, &kyoyu_store::ts(self.core.now()))
                        .await?;
                    tx.commit().await?;
                    delivered += 1;
                }
                Err(e) => {
                    let attempts = row.attempts + 1;
                    let wait = cfg.backoff_secs.saturating_mul(1 << attempts.clamp(0, 16));
                    let next = kyoyu_store::ts(self.core.now() + chrono::Duration::seconds(wait));
                    tracing::warn!(outbox.id = row.id, channel = %row.channel, attempts, error = %e, "notification delivery failed");
                    let mut tx = self.core.store.begin_quiet().await?;
                    tx.outbox_failed(row.id, &e, &next, attempts >= cfg.max_attempts)
                        .await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(delivered)
    }

    async fn deliver(&self, row: &OutboxRow) -> std::result::Result<Option<()>, String> {
        match row.channel.as_str() {
            "email" => {
                use lettre::AsyncTransport;
                let Some(mailer) = &self.mailer else {
                    return Ok(None);
                };
                let msg = lettre::Message::builder()
                    .from(
                        self.core
                            .config
                            .notify
                            .from
                            .parse()
                            .map_err(|e| format!("from: {e}"))?,
                    )
                    .to(row.address.parse().map_err(|e| format!("to: {e}"))?)
                    .subject(row.subject.clone())
                    // A stable id per outbox row: a receiver can drop a duplicate sent again
                    // after a crash between sending and recording it.
                    .message_id(Some(format!("<outbox-{}@kyoyu>", row.id)))
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(row.body.clone())
                    .map_err(|e| e.to_string())?;
                mailer.send(msg).await.map_err(|e| e.to_string())?;
                Ok(Some(()))
            }
            "webhook" => {
                let payload = serde_json::json!({ "id": row.id, "event": row.kind, "subject": row.subject, "text": row.body }).to_string();
                let ts = self.core.now().timestamp();
                let res = self
                    .http
                    .post(&row.address)
                    .header("content-type", "application/json")
                    .header("x-kyoyu-delivery", row.id.to_string())
                    .header("x-kyoyu-timestamp", ts.to_string())
                    .header("x-kyoyu-signature", sign(&row.secret, ts, &payload))
                    .body(payload)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if res.status().is_success() {
                    Ok(Some(()))
                } else {
                    Err(format!("HTTP {}", res.status()))
                }
            }
            other => Err(format!("unknown channel {other}")),
        }
    }

    /// Delivers until `shutdown` completes.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let pause = match self.run_once().await {
                Ok(n) if n > 0 => Duration::from_millis(10),
                Ok(_) => self.core.config.notify.poll,
                Err(e) => {
                    tracing::error!(error = %e, "notification worker");
                    self.core.config.notify.poll
                }
            };
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
