//! Report threads: the thread row, edition versions, transmissions along the route, attachments
//! (contents in `blobs`), and in-app notifications. Which rows a caller may see is decided above
//! (policy) and in `scope.rs`; list queries here always go through `push_predicate`.

use kyoyu_domain::policy::ScopeFilter;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::scope::push_predicate;
use crate::sql::Sql;
use crate::{Result, StoreError, Tx};

#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub id: i64,
    pub number: Option<i64>,
    pub sector: String,
    pub origin_org_id: i64,
    pub origin_user_id: i64,
    pub ceptoar_org_id: Option<i64>,
    pub anonymize: bool,
    pub created_at: String,
    pub numbered_at: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub id: i64,
    pub report_id: i64,
    pub edition: i64,
    pub version: i64,
    pub form: String,
    pub sent: bool,
    pub released: bool,
    pub anonymized: bool,
    pub author_user_id: i64,
    pub author_org_id: i64,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransmissionRow {
    pub id: i64,
    pub report_id: i64,
    pub version_id: i64,
    pub edition: i64,
    pub from_org_id: i64,
    pub to_org_id: i64,
    pub by_user_id: i64,
    pub at: String,
    pub anonymized: bool,
    pub tlp: String,
    pub forwarded: bool,
}

#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub report_id: i64,
    pub edition: i64,
    pub version: i64,
    pub form: &'a str,
    pub sent: bool,
    pub anonymized: bool,
    pub author_user_id: i64,
    pub author_org_id: i64,
    pub at: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRow {
    pub id: i64,
    pub report_id: i64,
    pub edition: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub uploaded_by_user: i64,
    pub uploaded_by_org: i64,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub item_id: Option<i64>,
    pub message: String,
    pub created_at: String,
}

/// Which threads a list asks for, beyond what the caller may see.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    pub sector: Option<String>,
    /// Threads with an edition transmitted to this organisation.
    pub received_by: Option<i64>,
    /// Threads with an edition transmitted to this organisation and not yet passed on.
    pub to_forward_by: Option<i64>,
    /// Threads this organisation transmitted something of.
    pub sent_by: Option<i64>,
    /// Threads with a draft edition written by this organisation.
    pub drafts_of: Option<i64>,
    /// Only ids below this (cursor pagination, newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

fn b(r: &AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

fn report_from(r: &AnyRow) -> Result<ReportRow> {
    Ok(ReportRow {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        sector: r.try_get("sector")?,
        origin_org_id: r.try_get("origin_org_id")?,
        origin_user_id: r.try_get("origin_user_id")?,
        ceptoar_org_id: r.try_get("ceptoar_org_id")?,
        anonymize: b(r, "anonymize")?,
        created_at: r.try_get("created_at")?,
        numbered_at: r.try_get("numbered_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn version_from(r: &AnyRow) -> Result<VersionRow> {
    let state: String = r.try_get("state")?;
    Ok(VersionRow {
        id: r.try_get("id")?,
        report_id: r.try_get("report_id")?,
        edition: r.try_get("edition")?,
        version: r.try_get("version")?,
        form: r.try_get("form")?,
        sent: state == "sent",
        released: b(r, "released")?,
        anonymized: b(r, "anonymized")?,
        author_user_id: r.try_get("author_user_id")?,
        author_org_id: r.try_get("author_org_id")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

fn transmission_from(r: &AnyRow) -> Result<TransmissionRow> {
    Ok(TransmissionRow {
        id: r.try_get("id")?,
        report_id: r.try_get("report_id")?,
        version_id: r.try_get("version_id")?,
        edition: r.try_get("edition")?,
        from_org_id: r.try_get("from_org_id")?,
        to_org_id: r.try_get("to_org_id")?,
        by_user_id: r.try_get("by_user_id")?,
        at: r.try_get("at")?,
        anonymized: b(r, "anonymized")?,
        tlp: r.try_get("tlp")?,
        forwarded: b(r, "forwarded")?,
    })
}

fn attachment_from(r: &AnyRow) -> Result<AttachmentRow> {
    Ok(AttachmentRow {
        id: r.try_get("id")?,
        report_id: r.try_get("report_id")?,
        edition: r.try_get("edition")?,
        kind: r.try_get("kind")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        sha1: r.try_get("sha1")?,
        md5: r.try_get("md5")?,
        uploaded_by_user: r.try_get("uploaded_by_user")?,
        uploaded_by_org: r.try_get("uploaded_by_org")?,
        at: r.try_get("at")?,
    })
}

const REPORT_COLS: &str = "id, number, sector, origin_org_id, origin_user_id, ceptoar_org_id, anonymize, created_at, numbered_at, updated_at";
const VERSION_COLS: &str = "id, report_id, edition, version, form, state, released, anonymized, author_user_id, author_org_id, created_at, sent_at";
const TRANSMISSION_COLS: &str = "id, report_id, version_id, edition, from_org_id, to_org_id, by_user_id, at, anonymized, tlp, forwarded";
const ATTACHMENT_COLS: &str = "id, report_id, edition, kind, file_name, content_type, size, sha256, sha1, md5, uploaded_by_user, uploaded_by_org, at";

impl Tx {
    /// The thread row for a scope item created by the caller in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_report(
        &mut self,
        id: i64,
        sector: &str,
        origin_org: i64,
        origin_user: i64,
        ceptoar: Option<i64>,
        anonymize: bool,
        at: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO reports (id, sector, origin_org_id, origin_user_id, ceptoar_org_id, anonymize, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(sector)
        .bind(origin_org)
        .bind(origin_user)
        .bind(ceptoar)
        .bind(i64::from(anonymize))
        .bind(at)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn report(&mut self, id: i64) -> Result<ReportRow> {
        let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref()
            .map(report_from)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("report {id}")))
    }

    pub async fn set_report_route(
        &mut self,
        id: i64,
        ceptoar: Option<i64>,
        anonymize: bool,
        at: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET ceptoar_org_id = $1, anonymize = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(ceptoar)
        .bind(i64::from(anonymize))
        .bind(at)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn touch_report(&mut self, id: i64, at: &str) -> Result<()> {
        sqlx::query("UPDATE reports SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Gives the thread its R-number (once; the caller takes it from the `R` counter).
    pub async fn set_report_number(&mut self, id: i64, number: i64, at: &str) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET number = $1, numbered_at = $2 WHERE id = $3 AND number IS NULL",
        )
        .bind(number)
        .bind(at)
        .bind(id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn insert_version(&mut self, v: &NewVersion<'_>) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO report_versions (report_id, edition, version, form, state, anonymized, author_user_id, author_org_id, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(v.report_id)
        .bind(v.edition)
        .bind(v.version)
        .bind(v.form)
        .bind(if v.sent { "sent" } else { "draft" })
        .bind(i64::from(v.anonymized))
        .bind(v.author_user_id)
        .bind(v.author_org_id)
        .bind(v.at)
        .bind(if v.sent { Some(v.at) } else { None })
        .fetch_one(self.conn())
        .await
        .map_err(|e| StoreError::conflict_or(e, format!("edition {} version {}", v.edition, v.version)))?;
        Ok(row.try_get("id")?)
    }

    /// Replaces the form of a draft; false if the version is no longer a draft.
    pub async fn update_draft(&mut self, version_id: i64, form: &str) -> Result<bool> {
        let done =
            sqlx::query("UPDATE report_versions SET form = $1 WHERE id = $2 AND state = 'draft'")
                .bind(form)
                .bind(version_id)
                .execute(self.conn())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Seals a draft: from now on the version is immutable.
    pub async fn mark_sent(&mut self, version_id: i64, form: &str, at: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE report_versions SET state = 'sent', sent_at = $1, form = $2 WHERE id = $3 AND state = 'draft'")
            .bind(at)
            .bind(form)
            .bind(version_id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mark_released(&mut self, version_id: i64) -> Result<()> {
        sqlx::query("UPDATE report_versions SET released = 1 WHERE id = $1")
            .bind(version_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn versions(&mut self, report_id: i64) -> Result<Vec<VersionRow>> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM report_versions WHERE report_id = $1 ORDER BY edition, version"
        );
        let rows = sqlx::query(&sql)
            .bind(report_id)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(version_from).collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_transmission(
        &mut self,
        report_id: i64,
        version_id: i64,
        edition: i64,
        from_org: i64,
        to_org: i64,
        by_user: i64,
        at: &str,
        anonymized: bool,
        tlp: &str,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO report_transmissions (report_id, version_id, edition, from_org_id, to_org_id, by_user_id, at, anonymized, tlp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(report_id)
        .bind(version_id)
        .bind(edition)
        .bind(from_org)
        .bind(to_org)
        .bind(by_user)
        .bind(at)
        .bind(i64::from(anonymized))
        .bind(tlp)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    /// Marks what `org` received of an edition as passed on.
    pub async fn mark_forwarded(&mut self, report_id: i64, edition: i64, org: i64) -> Result<()> {
        sqlx::query("UPDATE report_transmissions SET forwarded = 1 WHERE report_id = $1 AND edition = $2 AND to_org_id = $3")
            .bind(report_id)
            .bind(edition)
            .bind(org)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn transmissions(&mut self, report_id: i64) -> Result<Vec<TransmissionRow>> {
        let sql = format!(
            "SELECT {TRANSMISSION_COLS} FROM report_transmissions WHERE report_id = $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(report_id)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(transmission_from).collect()
    }

    /// Report ids the filter may see and the query asks for, newest first.
    pub async fn report_ids(&mut self, filter: &ScopeFilter, q: &ReportQuery) -> Result<Vec<i64>> {
        let mut sql =
            Sql::new("SELECT r.id FROM reports r JOIN scope_items i ON i.id = r.id WHERE ");
        push_predicate(&mut sql, "i", filter);
        if let Some(sector) = &q.sector {
            sql.push(" AND r.sector = ").bind_text(sector);
        }
        if let Some(org) = q.received_by {
            sql.push(" AND EXISTS (SELECT 1 FROM report_transmissions t WHERE t.report_id = r.id AND t.to_org_id = ").bind_i64(org).push(")");
        }
        if let Some(org) = q.to_forward_by {
            sql.push(" AND EXISTS (SELECT 1 FROM report_transmissions t WHERE t.report_id = r.id AND t.forwarded = 0 AND t.to_org_id = ").bind_i64(org).push(")");
        }
        if let Some(org) = q.sent_by {
            sql.push(" AND EXISTS (SELECT 1 FROM report_transmissions t WHERE t.report_id = r.id AND t.from_org_id = ").bind_i64(org).push(")");
        }
        if let Some(org) = q.drafts_of {
            sql.push(" AND EXISTS (SELECT 1 FROM report_versions v WHERE v.report_id = r.id AND v.state = 'draft' AND v.author_org_id = ").bind_i64(org).push(")");
        }
        if let Some(before) = q.before {
            sql.push(" AND r.id < ").bind_i64(before);
        }
        sql.push(" ORDER BY r.id DESC LIMIT ")
            .bind_i64(q.limit.clamp(1, 1000));
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("id").map_err(StoreError::from))
            .collect()
    }

    /// Stores a blob once (content-addressed).
    pub async fn put_blob(&mut self, sha256: &str, data: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
            .bind(sha256)
            .bind(data.len() as i64)
            .bind(data.to_vec())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    pub async fn blob(&mut self, sha256: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.conn())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("blob {sha256}")))?;
        Ok(row.try_get("data")?)
    }

    pub async fn add_attachment(&mut self, a: &AttachmentRow) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO report_attachments (report_id, edition, kind, file_name, content_type, size, sha256, sha1, md5, uploaded_by_user, uploaded_by_org, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(a.report_id)
        .bind(a.edition)
        .bind(&a.kind)
        .bind(&a.file_name)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(&a.sha256)
        .bind(&a.sha1)
        .bind(&a.md5)
        .bind(a.uploaded_by_user)
        .bind(a.uploaded_by_org)
        .bind(&a.at)
        .fetch_one(self.conn())
        .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn attachments(&mut self, report_id: i64) -> Result<Vec<AttachmentRow>> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLS} FROM report_attachments WHERE report_id = $1 ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(report_id)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(attachment_from).collect()
    }

    pub async fn add_notification(
        &mut self,
        org: i64,
        kind: &str,
        item: Option<i64>,
        message: &str,
        at: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO notifications (org_id, kind, item_id, message, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(org)
            .bind(kind)
            .bind(item)
            .bind(message)
            .bind(at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// An organisation's notifications about items the filter may see, newest first.
    pub async fn notifications(
        &mut self,
        filter: &ScopeFilter,
        org: i64,
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        let mut sql = Sql::new(
            "SELECT n.id, n.kind, n.item_id, n.message, n.created_at FROM notifications n LEFT JOIN scope_items i ON i.id = n.item_id WHERE n.org_id = ",
        );
        sql.bind_i64(org).push(" AND (n.item_id IS NULL OR ");
        push_predicate(&mut sql, "i", filter);
        sql.push(") ORDER BY n.id DESC LIMIT ")
            .bind_i64(limit.clamp(1, 500));
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(NotificationRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    item_id: r.try_get("item_id")?,
                    message: r.try_get("message")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Organisations with a given role, for route choices (`sector_ministry` with jurisdiction
    /// is resolved by the caller from the reference data).
    pub async fn org_ids_with_role(&mut self, role: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT org_id FROM org_roles WHERE role = $1 ORDER BY org_id")
            .bind(role)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("org_id").map_err(StoreError::from))
            .collect()
    }
}
