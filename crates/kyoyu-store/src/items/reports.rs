//! Report threads: the thread row, edition versions, the transmissions along the route, and
//! attachments. Reading a whole thread is crate-private (the scoped reader answers with it);
//! every write takes the permit `policy::route` returned.

use kyoyu_domain::policy::permit::{
    AttachPermit, DraftPermit, FilePermit, FollowUpPermit, ForwardPermit, Hop,
};
use kyoyu_domain::policy::{ItemKind, Relation};
use kyoyu_domain::report::ReportForm;
use kyoyu_domain::report::thread::{
    AttachmentKind, AttachmentRecord, HopRecord, ReportRecord, VersionRecord,
};
use kyoyu_domain::{AttachmentId, ItemId, OrgId, ReportId, Tlp, UserId, VersionId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{NewAttachment, flag, json, parse_code, to_json};
use crate::scope::NewScopeItem;
use crate::{Result, StoreError, Tx};

/// What one hop did: where it went and, when it first reached NISC, the number it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmitted {
    pub to: OrgId,
    pub edition: u32,
    /// Passed on anonymised.
    pub anonymized: bool,
    /// The sharing scope the recipient received it under.
    pub tlp: Tlp,
    /// The R-number taken on first receipt at NISC.
    pub numbered: Option<i64>,
    /// Everyone on the route back to the originator (told the number).
    pub route: Vec<OrgId>,
}

fn version_from(r: &AnyRow) -> Result<VersionRecord> {
    let state: String = r.try_get("state")?;
    Ok(VersionRecord {
        id: VersionId(r.try_get("id")?),
        edition: r.try_get::<i64, _>("edition")? as u32,
        version: r.try_get::<i64, _>("version")? as u32,
        form: json("report form", &r.try_get::<String, _>("form")?)?,
        sent: state == "sent",
        released: flag(r, "released")?,
        anonymized: flag(r, "anonymized")?,
        author_user: UserId(r.try_get("author_user_id")?),
        author_org: OrgId(r.try_get("author_org_id")?),
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
    })
}

fn hop_from(r: &AnyRow) -> Result<HopRecord> {
    let tlp: String = r.try_get("tlp")?;
    Ok(HopRecord {
        id: r.try_get("id")?,
        version: VersionId(r.try_get("version_id")?),
        edition: r.try_get::<i64, _>("edition")? as u32,
        from: OrgId(r.try_get("from_org_id")?),
        to: OrgId(r.try_get("to_org_id")?),
        by_user: UserId(r.try_get("by_user_id")?),
        at: r.try_get("at")?,
        anonymized: flag(r, "anonymized")?,
        tlp: parse_code("tlp", &tlp, |c| c.parse::<Tlp>().ok())?,
        forwarded: flag(r, "forwarded")?,
    })
}

fn attachment_from(r: &AnyRow) -> Result<AttachmentRecord> {
    let kind: String = r.try_get("kind")?;
    Ok(AttachmentRecord {
        id: AttachmentId(r.try_get("id")?),
        edition: r.try_get::<i64, _>("edition")? as u32,
        kind: parse_code("attachment kind", &kind, AttachmentKind::from_code)?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        sha1: r.try_get("sha1")?,
        md5: r.try_get("md5")?,
        uploaded_by_user: UserId(r.try_get("uploaded_by_user")?),
        uploaded_by_org: OrgId(r.try_get("uploaded_by_org")?),
        at: r.try_get("at")?,
    })
}

impl Tx {
    /// The whole thread, or `None` when there is no report of that id. Crate-private: the
    /// scoped reader hands it out only to actors the policy admits.
    pub(crate) async fn load_report(&mut self, id: ReportId) -> Result<Option<ReportRecord>> {
        let Some(scope) = self.scope_item(ItemId::from(id)).await? else {
            return Ok(None);
        };
        if scope.kind != ItemKind::Report {
            return Ok(None);
        }
        let Some(r) = sqlx::query(
            "SELECT number, sector, origin_org_id, origin_user_id, ceptoar_org_id, anonymize, created_at, updated_at FROM reports WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(self.conn())
        .await?
        else {
            return Ok(None);
        };
        let versions = sqlx::query(
            "SELECT id, edition, version, form, state, released, anonymized, author_user_id, author_org_id, created_at, sent_at FROM report_versions WHERE report_id = $1 ORDER BY edition, version",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(version_from)
        .collect::<Result<Vec<_>>>()?;
        let hops = sqlx::query(
            "SELECT id, version_id, edition, from_org_id, to_org_id, by_user_id, at, anonymized, tlp, forwarded FROM report_transmissions WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(hop_from)
        .collect::<Result<Vec<_>>>()?;
        let attachments = sqlx::query(
            "SELECT id, edition, kind, file_name, content_type, size, sha256, sha1, md5, uploaded_by_user, uploaded_by_org, at FROM report_attachments WHERE report_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.conn())
        .await?
        .iter()
        .map(attachment_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(ReportRecord {
            id,
            number: r.try_get("number")?,
            sector: r.try_get("sector")?,
            origin_org: OrgId(r.try_get("origin_org_id")?),
            origin_user: UserId(r.try_get("origin_user_id")?),
            ceptoar: r.try_get::<Option<i64>, _>("ceptoar_org_id")?.map(OrgId),
            anonymize_requested: flag(&r, "anonymize")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            versions,
            hops,
            attachments,
            scope,
        }))
    }

    /// Files a new report: the shareable item, the thread, the first edition — and, when the
    /// permit says so, its first hop.
    pub async fn create_report(
        &mut self,
        p: &FilePermit,
        form: &ReportForm,
        at: &str,
    ) -> Result<(ReportId, Option<Transmitted>)> {
        let mut orgs: std::collections::BTreeSet<(OrgId, Relation)> =
            [(p.org(), Relation::Route)].into();
        orgs.extend(p.named().iter().map(|o| (*o, Relation::Named)));
        let item = self
            .create_scope_item(&NewScopeItem {
                kind: ItemKind::Report,
                tlp: form.tlp,
                author: Some(p.user()),
                sectors: [form.sector.clone()].into(),
                orgs,
                shared: false,
                at: at.to_owned(),
            })
            .await?;
        let id = ReportId(item.0);
        let send = p.send();
        sqlx::query(
            "INSERT INTO reports (id, sector, origin_org_id, origin_user_id, ceptoar_org_id, anonymize, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(&form.sector)
        .bind(p.org().0)
        .bind(p.user().0)
        .bind(send.and_then(|s| s.ceptoar()).map(|c| c.0))
        .bind(i64::from(send.is_some_and(|s| s.anonymize())))
        .bind(at)
        .bind(at)
        .execute(self.conn())
        .await?;
        let version = self
            .insert_version(id, 1, 1, form, send.is_some(), false, p.user(), p.org(), at)
            .await?;
        self.touched_report(id);
        let sent = match send {
            Some(s) => Some(
                self.transmit(
                    id,
                    version,
                    1,
                    p.org(),
                    p.user(),
                    s.hop(),
                    false,
                    form.tlp,
                    at,
                )
                .await?,
            ),
            None => None,
        };
        Ok((id, sent))
    }

    /// Replaces the form of a draft.
    pub async fn save_draft(&mut self, p: &DraftPermit, form: &ReportForm, at: &str) -> Result<()> {
        let done =
            sqlx::query("UPDATE report_versions SET form = $1 WHERE id = $2 AND state = 'draft'")
                .bind(to_json(form)?)
                .bind(p.version().0)
                .execute(self.conn())
                .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("draft {}", p.version())));
        }
        if p.edition() == 1 {
            // Nothing was sent yet: the draft's scope is the item's scope.
            self.set_scope_tlp(ItemId::from(p.report()), form.tlp)
                .await?;
        }
        self.touch_report(p.report(), at).await?;
        Ok(())
    }

    /// Seals the draft (from now on immutable) and sends it along the permit's hop.
    pub async fn send_draft(
        &mut self,
        p: &DraftPermit,
        form: &ReportForm,
        at: &str,
    ) -> Result<Transmitted> {
        let hop = p
            .hop()
            .ok_or_else(|| StoreError::Conflict("a draft permit without a route".into()))?;
        let done = sqlx::query("UPDATE report_versions SET state = 'sent', sent_at = $1, form = $2 WHERE id = $3 AND state = 'draft'")
            .bind(at)
            .bind(to_json(form)?)
            .bind(p.version().0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("draft {}", p.version())));
        }
        let item = ItemId::from(p.report());
        if let Some(first) = p.first() {
            sqlx::query(
                "UPDATE reports SET ceptoar_org_id = $1, anonymize = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(first.ceptoar().map(|c| c.0))
            .bind(i64::from(first.anonymize()))
            .bind(at)
            .bind(p.report().0)
            .execute(self.conn())
            .await?;
            self.set_scope_tlp(item, form.tlp).await?;
        } else {
            self.narrow_scope_tlp(item, form.tlp).await?;
        }
        self.transmit(
            p.report(),
            p.version(),
            p.edition(),
            p.org(),
            p.user(),
            hop,
            false,
            form.tlp,
            at,
        )
        .await
    }

    /// Adds a follow-up edition: a draft, or sent along the permit's hop.
    pub async fn add_follow_up(
        &mut self,
        p: &FollowUpPermit,
        form: &ReportForm,
        at: &str,
    ) -> Result<Option<Transmitted>> {
        let sent = p.hop().is_some();
        let version = self
            .insert_version(
                p.report(),
                p.edition(),
                1,
                form,
                sent,
                false,
                p.user(),
                p.org(),
                at,
            )
            .await?;
        self.touched_report(p.report());
        self.touch_report(p.report(), at).await?;
        match p.hop() {
            Some(hop) => Ok(Some(
                self.transmit(
                    p.report(),
                    version,
                    p.edition(),
                    p.org(),
                    p.user(),
                    hop,
                    false,
                    form.tlp,
                    at,
                )
                .await?,
            )),
            None => Ok(None),
        }
    }

    /// Passes the waiting edition on: as received, or as `corrected` (a new version of the
    /// edition — a correction, or the anonymised version — the received one is kept).
    pub async fn forward_report(
        &mut self,
        p: &ForwardPermit,
        corrected: Option<&ReportForm>,
        at: &str,
    ) -> Result<Transmitted> {
        let received = sqlx::query(
            "SELECT form, anonymized FROM report_versions WHERE id = $1 AND report_id = $2",
        )
        .bind(p.received().0)
        .bind(p.report().0)
        .fetch_optional(self.conn())
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("version {}", p.received())))?;
        let received_anonymized = flag(&received, "anonymized")?;
        let (version, tlp) = match corrected {
            Some(form) => {
                let next: i64 = sqlx::query(
                    "SELECT COALESCE(MAX(version), 0) + 1 AS n FROM report_versions WHERE report_id = $1 AND edition = $2",
                )
                .bind(p.report().0)
                .bind(i64::from(p.edition()))
                .fetch_one(self.conn())
                .await?
                .try_get("n")?;
                let v = self
                    .insert_version(
                        p.report(),
                        p.edition(),
                        next as u32,
                        form,
                        true,
                        p.anonymize() || received_anonymized,
                        p.user(),
                        p.org(),
                        at,
                    )
                    .await?;
                (v, form.tlp)
            }
            None => {
                let form: ReportForm =
                    json("report form", &received.try_get::<String, _>("form")?)?;
                (p.received(), form.tlp)
            }
        };
        sqlx::query("UPDATE report_transmissions SET forwarded = 1 WHERE report_id = $1 AND edition = $2 AND to_org_id = $3")
            .bind(p.report().0)
            .bind(i64::from(p.edition()))
            .bind(p.org().0)
            .execute(self.conn())
            .await?;
        self.transmit(
            p.report(),
            version,
            p.edition(),
            p.org(),
            p.user(),
            p.hop(),
            p.anonymize(),
            tlp,
            at,
        )
        .await
    }

    /// Attaches a document or sample to the permit's edition.
    pub async fn add_report_attachment(
        &mut self,
        p: &AttachPermit,
        a: &NewAttachment,
        bytes: &[u8],
        at: &str,
    ) -> Result<AttachmentId> {
        self.put_blob(&a.sha256, bytes).await?;
        let row = sqlx::query(
            "INSERT INTO report_attachments (report_id, edition, kind, file_name, content_type, size, sha256, sha1, md5, uploaded_by_user, uploaded_by_org, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(p.report().0)
        .bind(i64::from(p.edition()))
        .bind(a.kind.code())
        .bind(&a.file_name)
        .bind(&a.content_type)
        .bind(a.size)
        .bind(&a.sha256)
        .bind(&a.sha1)
        .bind(&a.md5)
        .bind(p.user().0)
        .bind(p.org().0)
        .bind(at)
        .fetch_one(self.conn())
        .await?;
        self.touched_report(p.report());
        Ok(AttachmentId(row.try_get("id")?))
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_version(
        &mut self,
        report: ReportId,
        edition: u32,
        version: u32,
        form: &ReportForm,
        sent: bool,
        anonymized: bool,
        author: UserId,
        org: OrgId,
        at: &str,
    ) -> Result<VersionId> {
        let row = sqlx::query(
            "INSERT INTO report_versions (report_id, edition, version, form, state, anonymized, author_user_id, author_org_id, created_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(report.0)
        .bind(i64::from(edition))
        .bind(i64::from(version))
        .bind(to_json(form)?)
        .bind(if sent { "sent" } else { "draft" })
        .bind(i64::from(anonymized))
        .bind(author.0)
        .bind(org.0)
        .bind(at)
        .bind(if sent { Some(at) } else { None })
        .fetch_one(self.conn())
        .await
        .map_err(|e| StoreError::conflict_or(e, format!("edition {edition} version {version}")))?;
        if sent {
            self.narrow_scope_tlp(ItemId::from(report), form.tlp)
                .await?;
        }
        self.touched_report(report);
        Ok(VersionId(row.try_get("id")?))
    }

    async fn touch_report(&mut self, id: ReportId, at: &str) -> Result<()> {
        sqlx::query("UPDATE reports SET updated_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        self.touched_report(id);
        Ok(())
    }

    /// One hop: records the transmission, relates the recipient, releases the version when
    /// it leaves the reporter's side, and numbers the thread on its first arrival at NISC.
    #[allow(clippy::too_many_arguments)]
    async fn transmit(
        &mut self,
        report: ReportId,
        version: VersionId,
        edition: u32,
        from: OrgId,
        by: UserId,
        hop: Hop,
        anonymized: bool,
        tlp: Tlp,
        at: &str,
    ) -> Result<Transmitted> {
        sqlx::query(
            "INSERT INTO report_transmissions (report_id, version_id, edition, from_org_id, to_org_id, by_user_id, at, anonymized, tlp, forwarded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(report.0)
        .bind(version.0)
        .bind(i64::from(edition))
        .bind(from.0)
        .bind(hop.to().0)
        .bind(by.0)
        .bind(at)
        .bind(i64::from(anonymized))
        .bind(tlp.code())
        // NISC is the end of the route: nothing waits there to be passed on.
        .bind(i64::from(hop.end_of_route()))
        .execute(self.conn())
        .await?;
        let item = ItemId::from(report);
        self.add_scope_org(item, hop.to(), Relation::Route).await?;
        if hop.release() {
            sqlx::query("UPDATE report_versions SET released = 1 WHERE id = $1")
                .bind(version.0)
                .execute(self.conn())
                .await?;
            self.set_scope_shared(item).await?;
        }
        self.touch_report(report, at).await?;
        let mut out = Transmitted {
            to: hop.to(),
            edition,
            anonymized,
            tlp,
            numbered: None,
            route: Vec::new(),
        };
        if hop.end_of_route() {
            let unnumbered =
                sqlx::query("SELECT origin_org_id FROM reports WHERE id = $1 AND number IS NULL")
                    .bind(report.0)
                    .fetch_optional(self.conn())
                    .await?;
            if let Some(row) = unnumbered {
                let n = self.next_counter("R").await?;
                sqlx::query("UPDATE reports SET number = $1, numbered_at = $2 WHERE id = $3 AND number IS NULL")
                    .bind(n)
                    .bind(at)
                    .bind(report.0)
                    .execute(self.conn())
                    .await?;
                let mut route: std::collections::BTreeSet<OrgId> =
                    [OrgId(row.try_get("origin_org_id")?)].into();
                for r in sqlx::query(
                    "SELECT from_org_id, to_org_id FROM report_transmissions WHERE report_id = $1",
                )
                .bind(report.0)
                .fetch_all(self.conn())
                .await?
                {
                    route.insert(OrgId(r.try_get("from_org_id")?));
                    route.insert(OrgId(r.try_get("to_org_id")?));
                }
                out.numbered = Some(n);
                out.route = route.into_iter().collect();
            }
        }
        Ok(out)
    }
}
