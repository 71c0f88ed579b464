//! Advisories: the advisory row, its editions, source reports, scope-change requests,
//! deliveries with receipt and handling, inquiries. Lists go through `push_predicate`.

use kyoyu_domain::policy::ScopeFilter;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::scope::push_predicate;
use crate::sql::Sql;
use crate::{Result, StoreError, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryRow {
    pub id: i64,
    pub number: Option<i64>,
    pub published: bool,
    pub exercise: bool,
    pub created_by: i64,
    pub created_at: String,
    pub published_at: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryEditionRow {
    pub id: i64,
    pub edition: i64,
    pub form: String,
    pub published: bool,
    pub created_at: String,
    pub published_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScopeRequestRow {
    pub id: i64,
    pub advisory_id: i64,
    pub report_id: i64,
    pub to_org_id: i64,
    pub wanted_scope: String,
    pub wanted_sectors: String,
    pub reason: String,
    pub state: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
    pub decision_note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: i64,
    pub advisory_id: i64,
    pub org_id: i64,
    pub from_org_id: i64,
    pub delivered_at: String,
    pub received_at: Option<String>,
    pub handled_at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InquiryRow {
    pub id: i64,
    pub ministry_org_id: i64,
    pub author_org_id: i64,
    pub text: String,
    pub at: String,
}

fn advisory_from(r: &AnyRow) -> Result<AdvisoryRow> {
    Ok(AdvisoryRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        published: r.try_get::<String, _>("state")? == "published",
        exercise: r.try_get::<i64, _>("exercise")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        published_at: r.try_get("published_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn request_from(r: &AnyRow) -> Result<ScopeRequestRow> {
    Ok(ScopeRequestRow {
        id: r.try_get("id")?,
        advisory_id: r.try_get("advisory_id")?,
        report_id: r.try_get("report_id")?,
        to_org_id: r.try_get("to_org_id")?,
        wanted_scope: r.try_get("wanted_scope")?,
        wanted_sectors: r.try_get("wanted_sectors")?,
        reason: r.try_get("reason")?,
        state: r.try_get("state")?,
        requested_at: r.try_get("requested_at")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
    })
}

fn delivery_from(r: &AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.try_get("id")?,
        advisory_id: r.try_get("advisory_id")?,
        org_id: r.try_get("org_id")?,
        from_org_id: r.try_get("from_org_id")?,
        delivered_at: r.try_get("delivered_at")?,
        received_at: r.try_get("received_at")?,
        handled_at: r.try_get("handled_at")?,
        note: r.try_get("note")?,
    })
}

const REQUEST_COLS: &str = "id, advisory_id, report_id, to_org_id, wanted_scope, wanted_sectors, reason, state, requested_at, decided_at, decision_note";
const DELIVERY_COLS: &str =
    "id, advisory_id, org_id, from_org_id, delivered_at, received_at, handled_at, note";

impl Tx {
    pub async fn create_advisory(
        &mut self,
        id: i64,
        exercise: bool,
        by: i64,
        at: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO advisories (id, state, exercise, created_by, created_at, updated_at) VALUES ($1, 'draft', $2, $3, $4, $5)")
            .bind(id)
            .bind(i64::from(exercise))
            .bind(by)
            .bind(at)
            .bind(at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn advisory(&mut self, id: i64) -> Result<AdvisoryRow> {
        let row = sqlx::query("SELECT id, number, state, exercise, created_by, created_at, published_at, updated_at FROM advisories WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref()
            .map(advisory_from)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("advisory {id}")))
    }

    pub async fn set_advisory_exercise(&mut self, id: i64, exercise: bool, at: &str) -> Result<()> {
        sqlx::query("UPDATE advisories SET exercise = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(exercise))
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn publish_advisory(&mut self, id: i64, number: i64, at: &str) -> Result<()> {
        sqlx::query("UPDATE advisories SET state = 'published', number = $1, published_at = $2, updated_at = $3 WHERE id = $4")
            .bind(number)
            .bind(at)
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        sqlx::query("UPDATE advisory_editions SET state = 'published', published_at = $1 WHERE advisory_id = $2 AND state = 'draft'")
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn put_advisory_edition(
        &mut self,
        id: i64,
        edition: i64,
        form: &str,
        by: i64,
        at: &str,
    ) -> Result<()> {
        let updated = sqlx::query("UPDATE advisory_editions SET form = $1 WHERE advisory_id = $2 AND edition = $3 AND state = 'draft'")
            .bind(form)
            .bind(id)
            .bind(edition)
            .execute(self.conn())
            .await?;
        if updated.rows_affected() == 0 {
            sqlx::query("INSERT INTO advisory_editions (advisory_id, edition, form, state, author_user_id, created_at) VALUES ($1, $2, $3, 'draft', $4, $5)")
                .bind(id)
                .bind(edition)
                .bind(form)
                .bind(by)
                .bind(at)
                .execute(self.conn())
                .await
                .map_err(|e| StoreError::conflict_or(e, format!("advisory {id} edition {edition}")))?;
        }
        sqlx::query("UPDATE advisories SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn advisory_editions(&mut self, id: i64) -> Result<Vec<AdvisoryEditionRow>> {
        let rows = sqlx::query("SELECT id, edition, form, state, created_at, published_at FROM advisory_editions WHERE advisory_id = $1 ORDER BY edition")
            .bind(id)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AdvisoryEditionRow {
                    id: r.try_get("id")?,
                    edition: r.try_get("edition")?,
                    form: r.try_get("form")?,
                    published: r.try_get::<String, _>("state")? == "published",
                    created_at: r.try_get("created_at")?,
                    published_at: r.try_get("published_at")?,
                })
            })
            .collect()
    }

    pub async fn set_advisory_sources(&mut self, id: i64, reports: &[i64]) -> Result<()> {
        sqlx::query("DELETE FROM advisory_sources WHERE advisory_id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        for r in reports {
            sqlx::query("INSERT INTO advisory_sources (advisory_id, report_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id)
                .bind(r)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn advisory_sources(&mut self, id: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT report_id FROM advisory_sources WHERE advisory_id = $1 ORDER BY report_id",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("report_id").map_err(StoreError::from))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_scope_request(
        &mut self,
        advisory: i64,
        report: i64,
        to_org: i64,
        wanted_scope: &str,
        wanted_sectors: &str,
        reason: &str,
        by: i64,
        at: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO scope_requests (advisory_id, report_id, to_org_id, wanted_scope, wanted_sectors, reason, state, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id",
        )
        .bind(advisory)
        .bind(report)
        .bind(to_org)
        .bind(wanted_scope)
        .bind(wanted_sectors)
        .bind(reason)
        .bind(by)
        .bind(at)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn scope_requests_of_advisory(
        &mut self,
        advisory: i64,
    ) -> Result<Vec<ScopeRequestRow>> {
        let sql =
            format!("SELECT {REQUEST_COLS} FROM scope_requests WHERE advisory_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(advisory)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(request_from).collect()
    }

    pub async fn scope_requests_to(&mut self, org: i64) -> Result<Vec<ScopeRequestRow>> {
        let sql = format!(
            "SELECT {REQUEST_COLS} FROM scope_requests WHERE to_org_id = $1 ORDER BY id DESC"
        );
        let rows = sqlx::query(&sql).bind(org).fetch_all(self.conn()).await?;
        rows.iter().map(request_from).collect()
    }

    pub async fn scope_request(&mut self, id: i64) -> Result<ScopeRequestRow> {
        let sql = format!("SELECT {REQUEST_COLS} FROM scope_requests WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref()
            .map(request_from)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("scope request {id}")))
    }

    /// Decides a pending request; false when it was already decided.
    pub async fn decide_scope_request(
        &mut self,
        id: i64,
        accept: bool,
        by: i64,
        note: &str,
        at: &str,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE scope_requests SET state = $1, decided_by = $2, decision_note = $3, decided_at = $4 WHERE id = $5 AND state = 'pending'")
            .bind(if accept { "accepted" } else { "declined" })
            .bind(by)
            .bind(note)
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds a published follow-up edition.
    pub async fn add_published_edition(
        &mut self,
        id: i64,
        edition: i64,
        form: &str,
        by: i64,
        at: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO advisory_editions (advisory_id, edition, form, state, author_user_id, created_at, published_at) VALUES ($1, $2, $3, 'published', $4, $5, $6)")
            .bind(id)
            .bind(edition)
            .bind(form)
            .bind(by)
            .bind(at)
            .bind(at)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::conflict_or(e, format!("advisory {id} edition {edition}")))?;
        sqlx::query("UPDATE advisories SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Delivers a follow-up edition again to every organisation that had the advisory:
    /// receipt and handling start over for the new edition.
    pub async fn redeliver(&mut self, id: i64, edition: i64, at: &str) -> Result<Vec<i64>> {
        sqlx::query(
            "UPDATE advisory_deliveries SET edition = $1, delivered_at = $2, received_at = NULL, received_by = NULL, handled_at = NULL, handled_by = NULL, note = '' WHERE advisory_id = $3",
        )
        .bind(edition)
        .bind(at)
        .bind(id)
        .execute(self.conn())
        .await?;
        let rows = sqlx::query(
            "SELECT org_id FROM advisory_deliveries WHERE advisory_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("org_id").map_err(StoreError::from))
            .collect()
    }

    /// Delivers to an organisation once; false when it already has the advisory.
    pub async fn add_delivery(
        &mut self,
        advisory: i64,
        org: i64,
        from: i64,
        by: i64,
        at: &str,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO advisory_deliveries (advisory_id, org_id, from_org_id, by_user_id, delivered_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (advisory_id, org_id) DO NOTHING",
        )
        .bind(advisory)
        .bind(org)
        .bind(from)
        .bind(by)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn deliveries(&mut self, advisory: i64) -> Result<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM advisory_deliveries WHERE advisory_id = $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(advisory)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(delivery_from).collect()
    }

    /// Records receipt (受領), once.
    pub async fn mark_received(
        &mut self,
        advisory: i64,
        org: i64,
        by: i64,
        at: &str,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE advisory_deliveries SET received_at = $1, received_by = $2 WHERE advisory_id = $3 AND org_id = $4 AND received_at IS NULL")
            .bind(at)
            .bind(by)
            .bind(advisory)
            .bind(org)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records handling (対応) with a note; receipt too if it was skipped.
    pub async fn mark_handled(
        &mut self,
        advisory: i64,
        org: i64,
        by: i64,
        note: &str,
        at: &str,
    ) -> Result<()> {
        self.mark_received(advisory, org, by, at).await?;
        sqlx::query("UPDATE advisory_deliveries SET handled_at = $1, handled_by = $2, note = $3 WHERE advisory_id = $4 AND org_id = $5")
            .bind(at)
            .bind(by)
            .bind(note)
            .bind(advisory)
            .bind(org)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn add_inquiry(
        &mut self,
        advisory: i64,
        ministry: i64,
        by_user: i64,
        by_org: i64,
        text: &str,
        at: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO advisory_inquiries (advisory_id, ministry_org_id, author_user_id, author_org_id, text, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(advisory)
        .bind(ministry)
        .bind(by_user)
        .bind(by_org)
        .bind(text)
        .bind(at)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn inquiries(&mut self, advisory: i64) -> Result<Vec<InquiryRow>> {
        let rows = sqlx::query("SELECT id, ministry_org_id, author_org_id, text, at FROM advisory_inquiries WHERE advisory_id = $1 ORDER BY id")
            .bind(advisory)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(InquiryRow {
                    id: r.try_get("id")?,
                    ministry_org_id: r.try_get("ministry_org_id")?,
                    author_org_id: r.try_get("author_org_id")?,
                    text: r.try_get("text")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Advisory ids the filter may see, newest first; `delivered_to` narrows to one org's.
    pub async fn advisory_ids(
        &mut self,
        filter: &ScopeFilter,
        delivered_to: Option<i64>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let mut sql =
            Sql::new("SELECT a.id FROM advisories a JOIN scope_items i ON i.id = a.id WHERE ");
        push_predicate(&mut sql, "i", filter);
        if let Some(org) = delivered_to {
            sql.push(" AND EXISTS (SELECT 1 FROM advisory_deliveries d WHERE d.advisory_id = a.id AND d.org_id = ").bind_i64(org).push(")");
        }
        sql.push(" ORDER BY a.id DESC LIMIT ")
            .bind_i64(limit.clamp(1, 1000));
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("id").map_err(StoreError::from))
            .collect()
    }
}

/// An advisory attachment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryAttachmentRow {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub at: String,
}

impl Tx {
    #[allow(clippy::too_many_arguments)]
    pub async fn add_advisory_attachment(
        &mut self,
        advisory: i64,
        a: &AdvisoryAttachmentRow,
        by: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO advisory_attachments (advisory_id, kind, file_name, content_type, size, sha256, sha1, md5, uploaded_by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(advisory)
        .bind(&a.kind)
        .bind(&a.file_name)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(&a.sha256)
        .bind(&a.sha1)
        .bind(&a.md5)
        .bind(by)
        .bind(&a.at)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn advisory_attachments(
        &mut self,
        advisory: i64,
    ) -> Result<Vec<AdvisoryAttachmentRow>> {
        let rows = sqlx::query("SELECT id, kind, file_name, content_type, size, sha256, sha1, md5, at FROM advisory_attachments WHERE advisory_id = $1 ORDER BY id")
            .bind(advisory)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AdvisoryAttachmentRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?,
                    size: r.try_get("size")?,
                    sha256: r.try_get("sha256")?,
                    sha1: r.try_get("sha1")?,
                    md5: r.try_get("md5")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
