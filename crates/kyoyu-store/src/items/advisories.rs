//! Advisories: the advisory row, its editions, source reports, scope-change requests,
//! deliveries with receipt and handling, inquiries, attachments. Loading is crate-private;
//! every write takes the permit `policy::distribution` returned.

use kyoyu_domain::advisory::AdvisoryForm;
use kyoyu_domain::advisory::record::{
    AdvisoryAttachment, AdvisoryEdition, AdvisoryRecord, Delivery, Inquiry, RequestState,
    ScopeRequest,
};
use kyoyu_domain::policy::permit::{
    AckPermit, AdvisoryPermit, DecisionPermit, DeliverPermit, InquiryPermit, PublishPermit,
};
use kyoyu_domain::policy::{ItemKind, Relation};
use kyoyu_domain::report::thread::AttachmentKind;
use kyoyu_domain::{
    AdvisoryId, AttachmentId, ItemId, OrgId, ReportId, ScopeRequestId, Tlp, UserId,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{NewAttachment, flag, json, parse_code, to_json};
use crate::scope::NewScopeItem;
use crate::{Result, StoreError, Tx};

/// What an organisation records about its copy of an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// 受領
    Received,
    /// 対応, with a note (receipt too, if it was skipped).
    Handled(String),
}

pub(crate) fn request_from(r: &AnyRow) -> Result<ScopeRequest> {
    let state: String = r.try_get("state")?;
    let tlp: String = r.try_get("wanted_scope")?;
    Ok(ScopeRequest {
        id: ScopeRequestId(r.try_get("id")?),
        advisory: AdvisoryId(r.try_get("advisory_id")?),
        report: ReportId(r.try_get("report_id")?),
        to_org: OrgId(r.try_get("to_org_id")?),
        wanted_tlp: parse_code("tlp", &tlp, |c| c.parse::<Tlp>().ok())?,
        wanted_sectors: r
            .try_get::<String, _>("wanted_sectors")?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        reason: r.try_get("reason")?,
        state: parse_code("request state", &state, RequestState::from_code)?,
        requested_at: r.try_get("requested_at")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
    })
}

pub(crate) const REQUEST_COLS: &str = "id, advisory_id, report_id, to_org_id, wanted_scope, wanted_sectors, reason, state, requested_at, decided_at, decision_note";

impl Tx {
    /// The whole advisory, or `None` when there is no advisory of that id. Crate-private: the
    /// scoped reader hands it out only to actors the policy admits.
    pub(crate) async fn load_advisory(&mut self, id: AdvisoryId) -> Result<Option<AdvisoryRecord>> {
        let Some(scope) = self.scope_item(ItemId::from(id)).await? else {
            return Ok(None);
        };
        if scope.kind != ItemKind::Advisory {
            return Ok(None);
        }
        let Some(row) = sqlx::query("SELECT number, state, exercise, created_by, created_at, published_at, updated_at FROM advisories WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.conn())
            .await?
        else {
            return Ok(None);
        };
        let mut editions = Vec::new();
        for r in sqlx::query("SELECT edition, form, state, created_at, published_at FROM advisory_editions WHERE advisory_id = $1 ORDER BY edition")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?
        {
            editions.push(AdvisoryEdition {
                edition: r.try_get::<i64, _>("edition")? as u32,
                form: json("advisory form", &r.try_get::<String, _>("form")?)?,
                published: r.try_get::<String, _>("state")? == "published",
                created_at: r.try_get("created_at")?,
                published_at: r.try_get("published_at")?,
            });
        }
        let sources = sqlx::query(
            "SELECT report_id FROM advisory_sources WHERE advisory_id = $1 ORDER BY report_id",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(|r| Ok(ReportId(r.try_get("report_id")?)))
        .collect::<Result<Vec<_>>>()?;
        let mut deliveries = Vec::new();
        for r in sqlx::query("SELECT org_id, from_org_id, edition, delivered_at, received_at, handled_at, note FROM advisory_deliveries WHERE advisory_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?
        {
            deliveries.push(Delivery {
                org: OrgId(r.try_get("org_id")?),
                from: OrgId(r.try_get("from_org_id")?),
                edition: r.try_get::<i64, _>("edition")? as u32,
                delivered_at: r.try_get("delivered_at")?,
                received_at: r.try_get("received_at")?,
                handled_at: r.try_get("handled_at")?,
                note: r.try_get("note")?,
            });
        }
        let mut inquiries = Vec::new();
        for r in sqlx::query("SELECT ministry_org_id, author_org_id, text, at FROM advisory_inquiries WHERE advisory_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?
        {
            inquiries.push(Inquiry {
                ministry: OrgId(r.try_get("ministry_org_id")?),
                author_org: OrgId(r.try_get("author_org_id")?),
                text: r.try_get("text")?,
                at: r.try_get("at")?,
            });
        }
        let mut attachments = Vec::new();
        for r in sqlx::query("SELECT id, kind, file_name, content_type, size, sha256, sha1, md5, at FROM advisory_attachments WHERE advisory_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(self.conn())
            .await?
        {
            let kind: String = r.try_get("kind")?;
            attachments.push(AdvisoryAttachment {
                id: AttachmentId(r.try_get("id")?),
                kind: parse_code("attachment kind", &kind, AttachmentKind::from_code)?,
                file_name: r.try_get("file_name")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
                sha1: r.try_get("sha1")?,
                md5: r.try_get("md5")?,
                at: r.try_get("at")?,
            });
        }
        let sql =
            format!("SELECT {REQUEST_COLS} FROM scope_requests WHERE advisory_id = $1 ORDER BY id");
        let requests = sqlx::query(&sql)
            .bind(id.0)
            .fetch_all(self.conn())
            .await?
            .iter()
            .map(request_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(AdvisoryRecord {
            id,
            number: row.try_get("number")?,
            published: row.try_get::<String, _>("state")? == "published",
            exercise: flag(&row, "exercise")?,
            created_by: UserId(row.try_get("created_by")?),
            created_at: row.try_get("created_at")?,
            published_at: row.try_get("published_at")?,
            updated_at: row.try_get("updated_at")?,
            editions,
            sources,
            deliveries,
            inquiries,
            attachments,
            requests,
            scope,
        }))
    }

    /// NISC drafts an advisory from `sources`.
    pub async fn create_advisory(
        &mut self,
        p: &AdvisoryPermit,
        form: &AdvisoryForm,
        sources: &[ReportId],
        at: &str,
    ) -> Result<AdvisoryId> {
        let item = self
            .create_scope_item(&NewScopeItem {
                kind: ItemKind::Advisory,
                tlp: form.tlp,
                author: Some(p.user()),
                sectors: form.sectors(),
                orgs: [(p.org(), Relation::Route)].into(),
                shared: false,
                at: at.to_owned(),
            })
            .await?;
        let id = AdvisoryId(item.0);
        sqlx::query("INSERT INTO advisories (id, state, exercise, created_by, created_at, updated_at) VALUES ($1, 'draft', $2, $3, $4, $5)")
            .bind(id.0)
            .bind(i64::from(form.exercise))
            .bind(p.user().0)
            .bind(at)
            .bind(at)
            .execute(self.conn())
            .await?;
        sqlx::query("INSERT INTO advisory_editions (advisory_id, edition, form, state, author_user_id, created_at) VALUES ($1, 1, $2, 'draft', $3, $4)")
            .bind(id.0)
            .bind(to_json(form)?)
            .bind(p.user().0)
            .bind(at)
            .execute(self.conn())
            .await?;
        self.set_sources(id, sources).await?;
        self.touched_advisory(id);
        Ok(id)
    }

    /// NISC replaces the draft's form and sources.
    pub async fn update_advisory(
        &mut self,
        p: &AdvisoryPermit,
        form: &AdvisoryForm,
        sources: &[ReportId],
        at: &str,
    ) -> Result<()> {
        let id = permit_advisory(p)?;
        let done = sqlx::query("UPDATE advisory_editions SET form = $1 WHERE advisory_id = $2 AND edition = 1 AND state = 'draft'")
            .bind(to_json(form)?)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "advisory {id} is not a draft"
            )));
        }
        sqlx::query("UPDATE advisories SET exercise = $1, updated_at = $2 WHERE id = $3")
            .bind(i64::from(form.exercise))
            .bind(at)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        self.set_sources(id, sources).await?;
        let item = ItemId::from(id);
        self.set_scope_tlp(item, form.tlp).await?;
        sqlx::query("DELETE FROM scope_item_sectors WHERE item_id = $1")
            .bind(item.0)
            .execute(self.conn())
            .await?;
        for sector in form.sectors() {
            self.add_scope_sector(item, &sector).await?;
        }
        self.touched_advisory(id);
        Ok(())
    }

    async fn set_sources(&mut self, id: AdvisoryId, reports: &[ReportId]) -> Result<()> {
        sqlx::query("DELETE FROM advisory_sources WHERE advisory_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        for r in reports {
            sqlx::query("INSERT INTO advisory_sources (advisory_id, report_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id.0)
                .bind(r.0)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// A request to `to` (a source's sender) to accept a wider scope for the advisory.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_scope_request(
        &mut self,
        p: &AdvisoryPermit,
        report: ReportId,
        to: OrgId,
        wanted: Tlp,
        sectors: &[String],
        reason: &str,
        at: &str,
    ) -> Result<ScopeRequestId> {
        let id = permit_advisory(p)?;
        let row = sqlx::query(
            "INSERT INTO scope_requests (advisory_id, report_id, to_org_id, wanted_scope, wanted_sectors, reason, state, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) RETURNING id",
        )
        .bind(id.0)
        .bind(report.0)
        .bind(to.0)
        .bind(wanted.code())
        .bind(sectors.join(","))
        .bind(reason)
        .bind(p.user().0)
        .bind(at)
        .fetch_one(self.conn())
        .await?;
        self.touched_advisory(id);
        Ok(ScopeRequestId(row.try_get("id")?))
    }

    /// Accepts or declines a pending request; false when it was decided meanwhile.
    pub async fn decide_scope_request(
        &mut self,
        p: &DecisionPermit,
        accept: bool,
        note: &str,
        at: &str,
    ) -> Result<bool> {
        let row = sqlx::query("UPDATE scope_requests SET state = $1, decided_by = $2, decision_note = $3, decided_at = $4 WHERE id = $5 AND state = 'pending' RETURNING advisory_id")
            .bind(if accept { "accepted" } else { "declined" })
            .bind(p.user().0)
            .bind(note)
            .bind(at)
            .bind(p.request().0)
            .fetch_optional(self.conn())
            .await?;
        match row {
            Some(r) => {
                self.touched_advisory(AdvisoryId(r.try_get("advisory_id")?));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Publishes the draft as `T<n>` and delivers it to the permit's recipient ministries.
    /// Returns the number.
    pub async fn publish_advisory(&mut self, p: &PublishPermit, at: &str) -> Result<i64> {
        let id = p.advisory();
        let n = self.next_counter("T").await?;
        let done = sqlx::query("UPDATE advisories SET state = 'published', number = $1, published_at = $2, updated_at = $3 WHERE id = $4 AND state = 'draft'")
            .bind(n)
            .bind(at)
            .bind(at)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("advisory {id} is published")));
        }
        sqlx::query("UPDATE advisory_editions SET state = 'published', published_at = $1 WHERE advisory_id = $2 AND state = 'draft'")
            .bind(at)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        self.set_scope_shared(ItemId::from(id)).await?;
        for org in p.to() {
            self.add_delivery(id, *org, p.org(), p.user(), Relation::Recipient, at)
                .await?;
        }
        self.touched_advisory(id);
        Ok(n)
    }

    /// Publishes a follow-up edition (続報): delivered again to every organisation that had the
    /// advisory — receipt and handling start over — and to the permit's new ministries.
    /// Returns everyone it went to.
    pub async fn publish_follow_up(
        &mut self,
        p: &PublishPermit,
        form: &AdvisoryForm,
        at: &str,
    ) -> Result<Vec<OrgId>> {
        let id = p.advisory();
        sqlx::query("INSERT INTO advisory_editions (advisory_id, edition, form, state, author_user_id, created_at, published_at) VALUES ($1, $2, $3, 'published', $4, $5, $6)")
            .bind(id.0)
            .bind(i64::from(p.edition()))
            .bind(to_json(form)?)
            .bind(p.user().0)
            .bind(at)
            .bind(at)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::conflict_or(e, format!("advisory {id} edition {}", p.edition())))?;
        sqlx::query("UPDATE advisories SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        let item = ItemId::from(id);
        self.narrow_scope_tlp(item, form.tlp).await?;
        for sector in form.sectors() {
            self.add_scope_sector(item, &sector).await?;
        }
        sqlx::query(
            "UPDATE advisory_deliveries SET edition = $1, delivered_at = $2, received_at = NULL, received_by = NULL, handled_at = NULL, handled_by = NULL, note = '' WHERE advisory_id = $3",
        )
        .bind(i64::from(p.edition()))
        .bind(at)
        .bind(id.0)
        .execute(self.conn())
        .await?;
        let mut to: Vec<OrgId> = sqlx::query(
            "SELECT org_id FROM advisory_deliveries WHERE advisory_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(|r| Ok(OrgId(r.try_get("org_id")?)))
        .collect::<Result<Vec<_>>>()?;
        for org in p.to() {
            if self
                .add_delivery(id, *org, p.org(), p.user(), Relation::Recipient, at)
                .await?
            {
                to.push(*org);
            }
        }
        self.touched_advisory(id);
        Ok(to)
    }

    /// Passes the advisory on to the permit's organisations; returns those that did not have
    /// it yet.
    pub async fn deliver_advisory(&mut self, p: &DeliverPermit, at: &str) -> Result<Vec<OrgId>> {
        let mut added = Vec::new();
        for org in p.to() {
            if self
                .add_delivery(p.advisory(), *org, p.from(), p.user(), Relation::Route, at)
                .await?
            {
                added.push(*org);
            }
        }
        self.touched_advisory(p.advisory());
        Ok(added)
    }

    /// Delivers once; false when the organisation already has the advisory.
    async fn add_delivery(
        &mut self,
        id: AdvisoryId,
        org: OrgId,
        from: OrgId,
        by: UserId,
        relation: Relation,
        at: &str,
    ) -> Result<bool> {
        self.add_scope_org(ItemId::from(id), org, relation).await?;
        let done = sqlx::query(
            "INSERT INTO advisory_deliveries (advisory_id, org_id, from_org_id, by_user_id, delivered_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (advisory_id, org_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(org.0)
        .bind(from.0)
        .bind(by.0)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records receipt (受領, once) or handling (対応).
    pub async fn acknowledge(&mut self, p: &AckPermit, ack: &Ack, at: &str) -> Result<()> {
        sqlx::query("UPDATE advisory_deliveries SET received_at = $1, received_by = $2 WHERE advisory_id = $3 AND org_id = $4 AND received_at IS NULL")
            .bind(at)
            .bind(p.user().0)
            .bind(p.advisory().0)
            .bind(p.org().0)
            .execute(self.conn())
            .await?;
        if let Ack::Handled(note) = ack {
            sqlx::query("UPDATE advisory_deliveries SET handled_at = $1, handled_by = $2, note = $3 WHERE advisory_id = $4 AND org_id = $5")
                .bind(at)
                .bind(p.user().0)
                .bind(note)
                .bind(p.advisory().0)
                .bind(p.org().0)
                .execute(self.conn())
                .await?;
        }
        self.touched_advisory(p.advisory());
        Ok(())
    }

    pub async fn add_inquiry(&mut self, p: &InquiryPermit, text: &str, at: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO advisory_inquiries (advisory_id, ministry_org_id, author_user_id, author_org_id, text, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(p.advisory().0)
        .bind(p.ministry().0)
        .bind(p.user().0)
        .bind(p.org().0)
        .bind(text)
        .bind(at)
        .execute(self.conn())
        .await?;
        self.touched_advisory(p.advisory());
        Ok(())
    }

    pub async fn add_advisory_attachment(
        &mut self,
        p: &AdvisoryPermit,
        a: &NewAttachment,
        bytes: &[u8],
        at: &str,
    ) -> Result<AttachmentId> {
        let id = permit_advisory(p)?;
        self.put_blob(&a.sha256, bytes).await?;
        let row = sqlx::query(
            "INSERT INTO advisory_attachments (advisory_id, kind, file_name, content_type, size, sha256, sha1, md5, uploaded_by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(id.0)
        .bind(a.kind.code())
        .bind(&a.file_name)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(&a.sha256)
        .bind(&a.sha1)
        .bind(&a.md5)
        .bind(p.user().0)
        .bind(at)
        .fetch_one(self.conn())
        .await?;
        self.touched_advisory(id);
        Ok(AttachmentId(row.try_get("id")?))
    }
}

fn permit_advisory(p: &AdvisoryPermit) -> Result<AdvisoryId> {
    p.advisory()
        .ok_or_else(|| StoreError::Conflict("a drafting permit names no advisory".into()))
}
