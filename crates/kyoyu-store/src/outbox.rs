//! The notification outbox: rows written in the event's transaction, claimed by workers
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several server processes never take the same
//! row; the single writer on SQLite), and marked sent or retried with backoff.

use kyoyu_domain::{OrgId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::read_model::insert::insert_rows;
use crate::sql::{Arg, Sql};
use crate::{Backend, Result, StoreError, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub address: String,
    pub secret: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub sent_at: Option<String>,
    pub last_error: String,
}

#[derive(Debug, Clone)]
pub struct NewOutbox<'a> {
    pub kind: &'a str,
    pub channel: &'a str,
    pub address: &'a str,
    pub secret: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub at: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub id: i64,
    pub org_id: OrgId,
    pub url: String,
    pub secret: String,
}

const COLS: &str =
    "id, kind, channel, address, secret, subject, body, status, attempts, sent_at, last_error";

fn row_from(r: &AnyRow) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        channel: r.try_get("channel")?,
        address: r.try_get("address")?,
        secret: r.try_get("secret")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        sent_at: r.try_get("sent_at")?,
        last_error: r.try_get("last_error")?,
    })
}

impl Tx {
    pub async fn enqueue(&mut self, n: &NewOutbox<'_>) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO outbox (kind, channel, address, secret, subject, body, status, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id",
        )
        .bind(n.kind)
        .bind(n.channel)
        .bind(n.address)
        .bind(n.secret)
        .bind(n.subject)
        .bind(n.body)
        .bind(n.at)
        .bind(n.at)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Claims up to `limit` due rows for `worker` until `until`.
    pub async fn claim_outbox(
        &mut self,
        worker: &str,
        now: &str,
        until: &str,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $4) ORDER BY id LIMIT $5{lock}) RETURNING {COLS}"
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .bind(until)
            .bind(now)
            .bind(now)
            .bind(limit)
            .fetch_all(self.conn())
            .await?;
        let mut out: Vec<OutboxRow> = rows.iter().map(row_from).collect::<Result<_>>()?;
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// Marks a claimed row sent; false if the claim was lost (another worker has it now).
    pub async fn outbox_sent(&mut self, id: i64, worker: &str, at: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, claimed_until = NULL WHERE id = $2 AND claimed_by = $3 AND status = 'pending'")
            .bind(at)
            .bind(id)
            .bind(worker)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed attempt: retried at `next` unless `give_up`.
    pub async fn outbox_failed(
        &mut self,
        id: i64,
        error: &str,
        next: &str,
        give_up: bool,
    ) -> Result<()> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_until = NULL, status = $3 WHERE id = $4")
            .bind(error)
            .bind(next)
            .bind(if give_up { "failed" } else { "pending" })
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn outbox_all(&mut self) -> Result<Vec<OutboxRow>> {
        let sql = format!("SELECT {COLS} FROM outbox ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(self.conn()).await?;
        rows.iter().map(row_from).collect()
    }

    pub async fn add_webhook(
        &mut self,
        org: OrgId,
        url: &str,
        secret: &str,
        at: &str,
    ) -> Result<i64> {
        let row = sqlx::query("INSERT INTO webhooks (org_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(org.0)
            .bind(url)
            .bind(secret)
            .bind(at)
            .fetch_one(self.conn())
            .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn webhooks_of(&mut self, org: OrgId) -> Result<Vec<WebhookRow>> {
        let rows = sqlx::query(
            "SELECT id, org_id, url, secret FROM webhooks WHERE org_id = $1 ORDER BY id",
        )
        .bind(org.0)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WebhookRow {
                    id: r.try_get("id")?,
                    org_id: OrgId(r.try_get("org_id")?),
                    url: r.try_get("url")?,
                    secret: r.try_get("secret")?,
                })
            })
            .collect()
    }

    pub async fn mutes_of(&mut self, user: UserId) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT kind FROM notification_mutes WHERE user_id = $1 ORDER BY kind")
                .bind(user.0)
                .fetch_all(self.conn())
                .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("kind").map_err(StoreError::from))
            .collect()
    }

    pub async fn set_mutes(&mut self, user: UserId, kinds: &[String]) -> Result<()> {
        sqlx::query("DELETE FROM notification_mutes WHERE user_id = $1")
            .bind(user.0)
            .execute(self.conn())
            .await?;
        for k in kinds {
            sqlx::query("INSERT INTO notification_mutes (user_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(user.0).bind(k).execute(self.conn()).await?;
        }
        Ok(())
    }

    /// Users of an organisation who receive e-mail for `kind`: enabled sharing contacts who
    /// have not muted it.
    pub async fn email_recipients(&mut self, org: OrgId, kind: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT u.email FROM users u WHERE u.org_id = $1 AND u.is_contact = 1 AND u.disabled = 0 AND NOT EXISTS (SELECT 1 FROM notification_mutes m WHERE m.user_id = u.id AND m.kind = $2) ORDER BY u.email",
        )
        .bind(org.0)
        .bind(kind)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("email").map_err(StoreError::from))
            .collect()
    }

    /// [`Tx::email_recipients`] for many organisations at once: (organisation, address).
    pub async fn email_recipients_of(
        &mut self,
        orgs: &[OrgId],
        kind: &str,
    ) -> Result<Vec<(OrgId, String)>> {
        let mut out = Vec::new();
        for chunk in orgs.chunks(500) {
            let mut sql = Sql::new(
                "SELECT u.org_id, u.email FROM users u WHERE u.is_contact = 1 AND u.disabled = 0 AND u.org_id IN (",
            );
            for (i, o) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_i64(o.0);
            }
            sql.push(") AND NOT EXISTS (SELECT 1 FROM notification_mutes m WHERE m.user_id = u.id AND m.kind = ")
                .bind_text(kind)
                .push(") ORDER BY u.org_id, u.email");
            for r in sql.query().fetch_all(self.conn()).await? {
                out.push((OrgId(r.try_get("org_id")?), r.try_get("email")?));
            }
        }
        Ok(out)
    }

    /// [`Tx::webhooks_of`] for many organisations at once.
    pub async fn webhooks_of_many(&mut self, orgs: &[OrgId]) -> Result<Vec<WebhookRow>> {
        let mut out = Vec::new();
        for chunk in orgs.chunks(500) {
            let mut sql =
                Sql::new("SELECT id, org_id, url, secret FROM webhooks WHERE org_id IN (");
            for (i, o) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_i64(o.0);
            }
            sql.push(") ORDER BY org_id, id");
            for r in sql.query().fetch_all(self.conn()).await? {
                out.push(WebhookRow {
                    id: r.try_get("id")?,
                    org_id: OrgId(r.try_get("org_id")?),
                    url: r.try_get("url")?,
                    secret: r.try_get("secret")?,
                });
            }
        }
        Ok(out)
    }

    /// Enqueues many messages with few statements (an advisory reaching thousands of
    /// organisations writes thousands of e-mails).
    pub async fn enqueue_many(&mut self, rows: &[NewOutbox<'_>]) -> Result<()> {
        let values: Vec<Vec<Arg>> = rows
            .iter()
            .map(|n| {
                vec![
                    Arg::Text(n.kind.to_owned()),
                    Arg::Text(n.channel.to_owned()),
                    Arg::Text(n.address.to_owned()),
                    Arg::Text(n.secret.to_owned()),
                    Arg::Text(n.subject.to_owned()),
                    Arg::Text(n.body.to_owned()),
                    Arg::Text("pending".to_owned()),
                    Arg::Text(n.at.to_owned()),
                    Arg::Text(n.at.to_owned()),
                ]
            })
            .collect();
        insert_rows(
            self,
            "outbox",
            &[
                "kind",
                "channel",
                "address",
                "secret",
                "subject",
                "body",
                "status",
                "next_attempt_at",
                "created_at",
            ],
            &values,
        )
        .await
    }
}
