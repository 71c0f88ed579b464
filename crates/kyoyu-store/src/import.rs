//! Bulk import of whole threads and organisations, with few statements: the corpus generator
//! of `kyoyu admin demo --generate` (millions of threads; docs/PERFORMANCE.md has its rate) and,
//! later, migrations from other systems. The records carry ids counted from 1: `Tx::import_base`
//! says where they start, `prepare_reports` builds a batch's statements without the database,
//! and `Tx::import_prepared` writes the items, their scope facts and their read-model rows and
//! advances the sequences and the R counter.

use kyoyu_domain::policy::permit::ImportPermit;
use kyoyu_domain::report::thread::ReportRecord;
use kyoyu_domain::{OrgId, ReportId, Role, UserId, VersionId};
use sqlx::Row;

use crate::items::to_json;
use crate::read_model::insert::{insert_rows, insert_sql_owned};
use crate::read_model::{report_rows, report_rows_sql};
use crate::sql::{Arg, Sql};
use crate::{Backend, Result, Tx};

/// An organisation to import, with its users' e-mail addresses (the first a sharing contact).
#[derive(Debug, Clone)]
pub struct ImportOrg {
    pub code: String,
    pub name_ja: String,
    pub roles: Vec<Role>,
    pub sectors: Vec<String>,
    pub ceptoar: Option<OrgId>,
    pub users: Vec<(String, String, bool)>,
}

async fn max_id(tx: &mut Tx, table: &str) -> Result<i64> {
    let row = sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}"))
        .fetch_one(tx.conn())
        .await?;
    Ok(row.try_get("m")?)
}

/// After explicit ids: PostgreSQL's sequences must move past them (SQLite's AUTOINCREMENT
/// follows the largest id by itself).
async fn bump_sequence(tx: &mut Tx, table: &str) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
        ))
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

fn i(v: i64) -> Arg {
    Arg::I64(v)
}
fn t(v: &str) -> Arg {
    Arg::Text(v.to_owned())
}
fn b(v: bool) -> Arg {
    Arg::I64(i64::from(v))
}

impl Tx {
    /// Where imported ids start: the largest report, version and hop ids and the R counter now.
    pub async fn import_base(&mut self) -> Result<ImportBase> {
        let item = max_id(self, "scope_items").await?;
        let version = max_id(self, "report_versions").await?;
        let hop = max_id(self, "report_transmissions").await?;
        let number: i64 =
            sqlx::query("SELECT COALESCE(MAX(value), 0) AS m FROM counters WHERE name = 'R'")
                .fetch_one(self.conn())
                .await?
                .try_get("m")?;
        Ok(ImportBase {
            item,
            version,
            hop,
            number,
        })
    }

    /// Writes threads [`prepare_reports`] made ready. Fails, writing nothing, when an item was
    /// written past the base the batch was prepared on (imports must not run beside other
    /// writers of reports).
    pub async fn import_prepared(
        &mut self,
        _permit: &ImportPermit,
        prepared: PreparedReports,
    ) -> Result<Vec<ReportId>> {
        if prepared.ids.is_empty() {
            return Ok(Vec::new());
        }
        if max_id(self, "scope_items").await? >= prepared.first {
            return Err(crate::StoreError::Conflict(
                "items were written after the import was prepared".into(),
            ));
        }
        for sql in prepared.statements {
            sql.query().execute(self.conn()).await?;
        }
        for table in ["scope_items", "report_versions", "report_transmissions"] {
            bump_sequence(self, table).await?;
        }
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('R', 0) ON CONFLICT (name) DO NOTHING",
        )
        .execute(self.conn())
        .await?;
        sqlx::query("UPDATE counters SET value = $1 WHERE name = 'R' AND value < $1")
            .bind(prepared.max_number)
            .execute(self.conn())
            .await?;
        Ok(prepared.ids)
    }

    /// Imports organisations with their users (all with one password hash); returns the ids of
    /// the organisations in order.
    pub async fn import_orgs(
        &mut self,
        _permit: &ImportPermit,
        new: &[ImportOrg],
        password_hash: &str,
        at: &str,
    ) -> Result<Vec<OrgId>> {
        let org0 = max_id(self, "orgs").await?;
        let user0 = max_id(self, "users").await?;
        let mut orgs = Vec::new();
        let mut roles = Vec::new();
        let mut sectors = Vec::new();
        let mut members = Vec::new();
        let mut users = Vec::new();
        let mut ids = Vec::new();
        let mut next_user = user0;
        for (n, o) in new.iter().enumerate() {
            let id = org0 + 1 + n as i64;
            ids.push(OrgId(id));
            orgs.push(vec![
                i(id),
                t(&o.code),
                t(&o.name_ja),
                t(""),
                Arg::NullText,
                t(at),
            ]);
            for r in &o.roles {
                roles.push(vec![i(id), t(r.code())]);
            }
            for s in &o.sectors {
                sectors.push(vec![i(id), t(s)]);
            }
            if let Some(c) = o.ceptoar {
                members.push(vec![i(c.0), i(id)]);
            }
            for (email, name, contact) in &o.users {
                next_user += 1;
                users.push(vec![
                    i(next_user),
                    i(id),
                    t(email),
                    t(name),
                    t(password_hash),
                    b(*contact),
                    t(at),
                ]);
            }
        }
        insert_rows(
            self,
            "orgs",
            &["id", "code", "name_ja", "name_en", "ministry", "created_at"],
            &orgs,
        )
        .await?;
        insert_rows(self, "org_roles", &["org_id", "role"], &roles).await?;
        insert_rows(self, "org_sectors", &["org_id", "sector"], &sectors).await?;
        insert_rows(
            self,
            "ceptoar_members",
            &["ceptoar_id", "member_id"],
            &members,
        )
        .await?;
        insert_rows(
            self,
            "users",
            &[
                "id",
                "org_id",
                "email",
                "name",
                "password_hash",
                "is_contact",
                "created_at",
            ],
            &users,
        )
        .await?;
        bump_sequence(self, "orgs").await?;
        bump_sequence(self, "users").await?;
        Ok(ids)
    }

    /// Users by e-mail address (for the generator to find the demo world's authors).
    pub async fn user_ids_by_email(&mut self, emails: &[String]) -> Result<Vec<(String, UserId)>> {
        let mut out = Vec::new();
        for chunk in emails.chunks(500) {
            let mut sql = crate::sql::Sql::new("SELECT email, id FROM users WHERE email IN ");
            sql.bind_list(chunk.iter());
            for r in sql.query().fetch_all(self.conn()).await? {
                out.push((r.try_get("email")?, UserId(r.try_get("id")?)));
            }
        }
        Ok(out)
    }
}

/// The ids an import counts from (see [`Tx::import_base`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportBase {
    item: i64,
    version: i64,
    hop: i64,
    number: i64,
}

impl ImportBase {
    /// The base after `threads` threads with `versions` versions, `hops` hops and `numbers`
    /// R-numbers were counted from this one: the next batch of a long import.
    pub fn advanced(self, threads: i64, versions: i64, hops: i64, numbers: i64) -> Self {
        Self {
            item: self.item + threads,
            version: self.version + versions,
            hop: self.hop + hops,
            number: self.number + numbers,
        }
    }
}

/// Threads turned into the statements that write them, their scope facts and their read-model
/// rows; built without the database so that a generator can prepare the next batch while the
/// database writes this one.
#[derive(Debug)]
pub struct PreparedReports {
    statements: Vec<Sql>,
    ids: Vec<ReportId>,
    first: i64,
    max_number: i64,
}

/// Prepares `records` (ids counted from 1) for [`Tx::import_prepared`] on `base`.
pub fn prepare_reports(
    backend: Backend,
    base: &ImportBase,
    records: Vec<ReportRecord>,
) -> Result<PreparedReports> {
    let mut items = Vec::new();
    let mut sectors = Vec::new();
    let mut orgs = Vec::new();
    let mut reports = Vec::new();
    let mut versions = Vec::new();
    let mut hops = Vec::new();
    let mut rows = Vec::new();
    let mut ids = Vec::new();
    let mut first = i64::MAX;
    let mut max_number = base.number;
    for mut rec in records {
        rec.id = ReportId(rec.id.0 + base.item);
        rec.number = rec.number.map(|n| n + base.number);
        max_number = max_number.max(rec.number.unwrap_or(0));
        for v in &mut rec.versions {
            v.id = VersionId(v.id.0 + base.version);
        }
        for h in &mut rec.hops {
            h.id += base.hop;
            h.version = VersionId(h.version.0 + base.version);
        }
        let s = &rec.scope;
        items.push(vec![
            i(rec.id.0),
            t("report"),
            t(s.tlp.code()),
            s.author.map_or(Arg::NullI64, |u| i(u.0)),
            t(&rec.created_at),
            b(s.shared),
        ]);
        for sec in &s.sectors {
            sectors.push(vec![i(rec.id.0), t(sec)]);
        }
        for (o, r) in &s.orgs {
            orgs.push(vec![i(rec.id.0), i(o.0), t(r.code())]);
        }
        reports.push(vec![
            i(rec.id.0),
            rec.number.map_or(Arg::NullI64, i),
            t(&rec.sector),
            i(rec.origin_org.0),
            i(rec.origin_user.0),
            rec.ceptoar.map_or(Arg::NullI64, |c| i(c.0)),
            b(rec.anonymize_requested),
            t(&rec.created_at),
            rec.number.map_or(Arg::NullText, |_| t(&rec.updated_at)),
            t(&rec.updated_at),
        ]);
        for v in &rec.versions {
            versions.push(vec![
                i(v.id.0),
                i(rec.id.0),
                i(i64::from(v.edition)),
                i(i64::from(v.version)),
                t(&to_json(&v.form)?),
                t(if v.sent { "sent" } else { "draft" }),
                b(v.released),
                b(v.anonymized),
                i(v.author_user.0),
                i(v.author_org.0),
                t(&v.created_at),
                v.sent_at.as_deref().map_or(Arg::NullText, t),
            ]);
        }
        for h in &rec.hops {
            hops.push(vec![
                i(h.id),
                i(rec.id.0),
                i(h.version.0),
                i(i64::from(h.edition)),
                i(h.from.0),
                i(h.to.0),
                i(h.by_user.0),
                t(&h.at),
                b(h.anonymized),
                t(h.tlp.code()),
                b(h.forwarded),
            ]);
        }
        rows.push(report_rows(&rec));
        first = first.min(rec.id.0);
        ids.push(rec.id);
    }
    let mut statements = Vec::new();
    statements.extend(insert_sql_owned(
        backend,
        "scope_items",
        &[
            "id",
            "kind",
            "tlp",
            "author_user_id",
            "created_at",
            "shared",
        ],
        items,
    ));
    statements.extend(insert_sql_owned(
        backend,
        "scope_item_sectors",
        &["item_id", "sector"],
        sectors,
    ));
    statements.extend(insert_sql_owned(
        backend,
        "scope_item_orgs",
        &["item_id", "org_id", "relation"],
        orgs,
    ));
    statements.extend(insert_sql_owned(
        backend,
        "reports",
        &[
            "id",
            "number",
            "sector",
            "origin_org_id",
            "origin_user_id",
            "ceptoar_org_id",
            "anonymize",
            "created_at",
            "numbered_at",
            "updated_at",
        ],
        reports,
    ));
    statements.extend(insert_sql_owned(
        backend,
        "report_versions",
        &[
            "id",
            "report_id",
            "edition",
            "version",
            "form",
            "state",
            "released",
            "anonymized",
            "author_user_id",
            "author_org_id",
            "created_at",
            "sent_at",
        ],
        versions,
    ));
    statements.extend(insert_sql_owned(
        backend,
        "report_transmissions",
        &[
            "id",
            "report_id",
            "version_id",
            "edition",
            "from_org_id",
            "to_org_id",
            "by_user_id",
            "at",
            "anonymized",
            "tlp",
            "forwarded",
        ],
        hops,
    ));
    statements.extend(report_rows_sql(backend, rows));
    Ok(PreparedReports {
        statements,
        ids,
        first,
        max_number,
    })
}
