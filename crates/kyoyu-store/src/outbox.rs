//! The notification outbox: rows written in the event's transaction, claimed by workers
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several server processes never take the same
//! row; the single writer on SQLite), and marked sent or retried with backoff.

use kyoyu_domain::{OrgId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::read_model::insert::defer_rows;
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
    /// Claims up to `limit` due rows of the `channels` the worker can deliver, for `worker`
    /// until `until`. (Without an SMTP server, e-mails wait unclaimed: claiming them over and
    /// over would cost the writer a walk over every waiting row.)
    pub async fn claim_outbox(
        &mut self,
        worker: &str,
        channels: &[&str],
        now: &str,
        until: &str,
        limit: i64,
    ) -> Result<Vec<OutboxRow>> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut sql = Sql::new("UPDATE outbox SET claimed_by = ");
        sql.bind_text(worker)
            .push(", claimed_until = ")
            .bind_text(until)
            .push(" WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND channel IN ");
        let channels: Vec<String> = channels.iter().map(|c| (*c).to_owned()).collect();
        sql.bind_list(channels.iter())
            .push(" AND next_attempt_at <= ")
            .bind_text(now)
            .push(" AND (claimed_until IS NULL OR claimed_until < ")
            .bind_text(now)
            .push(") ORDER BY id LIMIT ")
            .bind_i64(limit)
            .push(&format!("{lock}) RETURNING {COLS}"));
        let rows = sql.query().fetch_all(self.conn()).await?;
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

    /// The same notification to many organisations — the in-app rows, an e-mail to each
    /// enabled sharing contact who has not muted the kind, and each webhook — written with the
    /// transaction's deferred writes: the recipients are chosen in SQL, not read first.
    pub fn notify_orgs(&mut self, n: &Notice<'_>) {
        let rows: Vec<Vec<Arg>> = n
            .orgs
            .iter()
            .map(|o| {
                vec![
                    Arg::I64(o.0),
                    Arg::Text(n.kind.to_owned()),
                    n.item.map_or(Arg::NullI64, |i| Arg::I64(i.0)),
                    Arg::Text(n.message.to_owned()),
                    Arg::Text(n.at.to_owned()),
                ]
            })
            .collect();
        defer_rows(
            self,
            "notifications",
            &["org_id", "kind", "item_id", "message", "created_at"],
            &rows,
        );
        let backend = self.backend();
        let head = |sql: &mut Sql, channel: &str| {
            sql.push("INSERT INTO outbox (kind, channel, address, secret, subject, body, status, next_attempt_at, created_at) SELECT CAST(");
            sql.bind_text(n.kind).push(" AS TEXT), ");
            sql.push(&format!("'{channel}', "));
        };
        let tail = |sql: &mut Sql| {
            for v in [n.subject, n.body] {
                sql.push(", CAST(").bind_text(v).push(" AS TEXT)");
            }
            sql.push(", 'pending'");
            for _ in 0..2 {
                sql.push(", CAST(").bind_text(n.at).push(" AS TEXT)");
            }
        };
        let in_list = |sql: &mut Sql, ids: &[OrgId]| {
            sql.push("(");
            for (i, o) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_i64(o.0);
            }
            sql.push(")");
        };
        for chunk in n.orgs.chunks(500) {
            let mut sql = Sql::bulk("", backend);
            head(&mut sql, "email");
            sql.push("u.email, ''");
            tail(&mut sql);
            sql.push(" FROM users u WHERE u.is_contact = 1 AND u.disabled = 0 AND u.org_id IN ");
            in_list(&mut sql, chunk);
            sql.push(" AND NOT EXISTS (SELECT 1 FROM notification_mutes m WHERE m.user_id = u.id AND m.kind = ")
                .bind_text(n.kind)
                .push(") ORDER BY u.org_id, u.email");
            self.defer(sql);
        }
        for chunk in n.orgs.chunks(500) {
            let mut sql = Sql::bulk("", backend);
            head(&mut sql, "webhook");
            sql.push("w.url, w.secret");
            tail(&mut sql);
            sql.push(" FROM webhooks w WHERE w.org_id IN ");
            in_list(&mut sql, chunk);
            sql.push(" ORDER BY w.org_id, w.id");
            self.defer(sql);
        }
    }
}

/// One notification for [`Tx::notify_orgs`].
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    pub orgs: &'a [OrgId],
    pub kind: &'a str,
    pub item: Option<kyoyu_domain::ItemId>,
    pub message: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub at: &'a str,
}
