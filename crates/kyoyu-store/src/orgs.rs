//! Organisations: roles, sectors, CEPTOAR membership, ministry identity (for jurisdiction).
//! Loads are filtered in SQL (by id, code or role), so that a world of ten thousand operators
//! costs a use case only the organisations it asks about.

use std::collections::{BTreeMap, BTreeSet};

use kyoyu_domain::policy::OrgFacts;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::{OrgId, Role};
use sqlx::Row;

use crate::sql::Sql;
use crate::{Backend, Result, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub roles: BTreeSet<Role>,
    pub sectors: BTreeSet<String>,
    /// The reference-data ministry this organisation is (gives a sector ministry its
    /// jurisdiction).
    pub ministry: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgRow {
    pub id: OrgId,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub roles: BTreeSet<Role>,
    pub sectors: BTreeSet<String>,
    pub ministry: Option<String>,
    /// Codes of the CEPTOARs this organisation is a member of.
    pub ceptoars: BTreeSet<String>,
    #[serde(skip)]
    pub ceptoar_ids: BTreeSet<OrgId>,
}

/// Which organisations to load.
#[derive(Debug, Clone)]
pub enum OrgFilter<'a> {
    All,
    Ids(&'a [OrgId]),
    Codes(&'a [String]),
    Role(Role),
    /// Members of a CEPTOAR.
    MembersOf(OrgId),
    /// Operators and CEPTOARs of any of these sectors.
    InSectors(&'a BTreeSet<String>),
    /// What the report route rules choose from — every organisation with one of these roles,
    /// and these ids — and, in the same load, the organisations of these codes.
    RolesIdsCodes(&'a [Role], &'a [OrgId], &'a [String]),
}

fn push_filter(sql: &mut Sql, f: &OrgFilter<'_>) {
    match f {
        OrgFilter::All => {
            sql.push("1 = 1");
        }
        OrgFilter::Ids([]) => {
            sql.push("1 = 0");
        }
        OrgFilter::Ids(ids) => {
            sql.push("id IN (");
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_i64(id.0);
            }
            sql.push(")");
        }
        OrgFilter::Codes([]) => {
            sql.push("1 = 0");
        }
        OrgFilter::Codes(codes) => {
            sql.push("code IN ").bind_list(codes.iter());
        }
        OrgFilter::Role(role) => {
            sql.push("id IN (SELECT org_id FROM org_roles WHERE role = ")
                .bind_text(role.code())
                .push(")");
        }
        OrgFilter::MembersOf(c) => {
            sql.push("id IN (SELECT member_id FROM ceptoar_members WHERE ceptoar_id = ")
                .bind_i64(c.0)
                .push(")");
        }
        OrgFilter::InSectors(sectors) if sectors.is_empty() => {
            sql.push("1 = 0");
        }
        OrgFilter::InSectors(sectors) => {
            sql.push("id IN (SELECT org_id FROM org_sectors WHERE sector IN ")
                .bind_list(sectors.iter())
                .push(")");
        }
        OrgFilter::RolesIdsCodes(roles, ids, codes) => {
            let roles: Vec<String> = roles.iter().map(|r| r.code().to_owned()).collect();
            sql.push("(");
            if roles.is_empty() {
                sql.push("1 = 0");
            } else {
                sql.push("id IN (SELECT org_id FROM org_roles WHERE role IN ")
                    .bind_list(roles.iter())
                    .push(")");
            }
            sql.push(" OR ");
            push_filter(sql, &OrgFilter::Ids(ids));
            sql.push(" OR ");
            push_filter(sql, &OrgFilter::Codes(codes));
            sql.push(")");
        }
    }
}

/// One statement for the organisations a filter selects with all their details, each list
/// aggregated into one column (the unit separator between items, `id:value` where an id
/// belongs): roles, sectors, CEPTOAR memberships and, with `ceptoar_sectors`, the sectors of
/// those CEPTOARs. Loads sit on the path of every use case, and on SQLite's one writer each
/// statement costs more than its rows.
fn details_sql(f: &OrgFilter<'_>, ceptoar_sectors: bool, backend: Backend) -> Sql {
    let agg = |expr: &str| match backend {
        Backend::Sqlite => format!("group_concat({expr}, char(31))"),
        Backend::Postgres => format!("string_agg({expr}, chr(31))"),
    };
    let mut sql = Sql::new(&format!(
        "SELECT o.id, o.code, o.name_ja, o.name_en, o.ministry, \
         (SELECT {} FROM org_roles r WHERE r.org_id = o.id) AS roles, \
         (SELECT {} FROM org_sectors s WHERE s.org_id = o.id) AS sectors, \
         (SELECT {} FROM ceptoar_members m JOIN orgs c ON c.id = m.ceptoar_id \
          WHERE m.member_id = o.id) AS ceptoars, ",
        agg("r.role"),
        agg("s.sector"),
        agg("CAST(c.id AS TEXT) || ':' || c.code"),
    ));
    if ceptoar_sectors {
        sql.push(&format!(
            "(SELECT {} FROM ceptoar_members m JOIN org_sectors cs ON cs.org_id = m.ceptoar_id \
             WHERE m.member_id = o.id) AS cs ",
            agg("CAST(m.ceptoar_id AS TEXT) || ':' || cs.sector")
        ));
    } else {
        sql.push("NULL AS cs ");
    }
    sql.push("FROM orgs o WHERE o.id IN (SELECT id FROM orgs WHERE ");
    push_filter(&mut sql, f);
    sql.push(") ORDER BY o.code");
    sql
}

/// The sectors each CEPTOAR serves, keyed by the CEPTOAR.
type CeptoarSectors = BTreeMap<OrgId, BTreeSet<String>>;

/// The rows of `details_sql`: organisations by code, and the sectors of their CEPTOARs.
fn details_from(rows: Vec<sqlx::any::AnyRow>) -> Result<(Vec<OrgRow>, CeptoarSectors)> {
    const SEP: char = '\u{1f}';
    let list = |v: Option<String>| -> Vec<String> {
        v.map(|s| s.split(SEP).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let pair = |item: &str| -> Result<(OrgId, String)> {
        item.split_once(':')
            .and_then(|(id, v)| Some((OrgId(id.parse().ok()?), v.to_owned())))
            .ok_or_else(|| StoreError::Corrupt(format!("organisation detail `{item}`")))
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut ceptoar_sectors = CeptoarSectors::new();
    for r in rows {
        let mut roles = BTreeSet::new();
        for role in list(r.try_get("roles")?) {
            roles.insert(
                role.parse()
                    .map_err(|_| StoreError::Corrupt(format!("role `{role}`")))?,
            );
        }
        let mut ceptoars = BTreeSet::new();
        let mut ceptoar_ids = BTreeSet::new();
        for item in list(r.try_get("ceptoars")?) {
            let (id, code) = pair(&item)?;
            ceptoar_ids.insert(id);
            ceptoars.insert(code);
        }
        for item in list(r.try_get("cs")?) {
            let (id, sector) = pair(&item)?;
            ceptoar_sectors.entry(id).or_default().insert(sector);
        }
        out.push(OrgRow {
            id: OrgId(r.try_get("id")?),
            code: r.try_get("code")?,
            name_ja: r.try_get("name_ja")?,
            name_en: r.try_get("name_en")?,
            roles,
            sectors: list(r.try_get("sectors")?).into_iter().collect(),
            ministry: r.try_get("ministry")?,
            ceptoars,
            ceptoar_ids,
        });
    }
    Ok((out, ceptoar_sectors))
}

impl Tx {
    pub async fn create_org(&mut self, org: &NewOrg) -> Result<OrgId> {
        let row = sqlx::query(
            "INSERT INTO orgs (code, name_ja, name_en, ministry, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&org.code)
        .bind(&org.name_ja)
        .bind(&org.name_en)
        .bind(org.ministry.as_deref())
        .bind(&org.at)
        .fetch_one(self.conn())
        .await
        .map_err(|e| StoreError::conflict_or(e, format!("organisation {}", org.code)))?;
        let id = OrgId(row.try_get("id")?);
        self.set_org_roles(id, &org.roles).await?;
        self.set_org_sectors(id, &org.sectors).await?;
        Ok(id)
    }

    pub async fn set_org_roles(&mut self, id: OrgId, roles: &BTreeSet<Role>) -> Result<()> {
        sqlx::query("DELETE FROM org_roles WHERE org_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        for r in roles {
            sqlx::query("INSERT INTO org_roles (org_id, role) VALUES ($1, $2)")
                .bind(id.0)
                .bind(r.code())
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn set_org_sectors(&mut self, id: OrgId, sectors: &BTreeSet<String>) -> Result<()> {
        sqlx::query("DELETE FROM org_sectors WHERE org_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        for s in sectors {
            sqlx::query("INSERT INTO org_sectors (org_id, sector) VALUES ($1, $2)")
                .bind(id.0)
                .bind(s)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn add_ceptoar_member(&mut self, ceptoar: OrgId, member: OrgId) -> Result<()> {
        sqlx::query(
            "INSERT INTO ceptoar_members (ceptoar_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(ceptoar.0)
        .bind(member.0)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn org_id_by_code(&mut self, code: &str) -> Result<Option<OrgId>> {
        let row = sqlx::query("SELECT id FROM orgs WHERE code = $1")
            .bind(code)
            .fetch_optional(self.conn())
            .await?;
        Ok(match row {
            Some(r) => Some(OrgId(r.try_get("id")?)),
            None => None,
        })
    }

    pub async fn org(&mut self, id: OrgId) -> Result<OrgRow> {
        let mut orgs = self.orgs(OrgFilter::Ids(&[id])).await?;
        orgs.pop()
            .ok_or_else(|| StoreError::NotFound(format!("organisation {id}")))
    }

    /// Every organisation, by code.
    pub async fn list_orgs(&mut self) -> Result<Vec<OrgRow>> {
        self.orgs(OrgFilter::All).await
    }

    /// The organisations a filter selects, by code.
    pub async fn orgs(&mut self, f: OrgFilter<'_>) -> Result<Vec<OrgRow>> {
        let rows = details_sql(&f, false, self.backend())
            .query()
            .fetch_all(self.conn())
            .await?;
        Ok(details_from(rows)?.0)
    }

    /// What the policy needs to know about the organisations a filter selects. Jurisdiction
    /// comes from the reference data (it changes by government decision, not by release).
    pub async fn org_facts_where(
        &mut self,
        f: OrgFilter<'_>,
        reference: &ReferenceData,
    ) -> Result<Vec<OrgFacts>> {
        let rows = details_sql(&f, true, self.backend())
            .query()
            .fetch_all(self.conn())
            .await?;
        let (rows, ceptoar_sectors) = details_from(rows)?;
        Ok(rows
            .into_iter()
            .map(|org| facts(org, &ceptoar_sectors, reference))
            .collect())
    }

    pub async fn org_facts(&mut self, id: OrgId, reference: &ReferenceData) -> Result<OrgFacts> {
        self.org_facts_where(OrgFilter::Ids(&[id]), reference)
            .await?
            .pop()
            .ok_or_else(|| StoreError::NotFound(format!("organisation {id}")))
    }
}

fn facts(
    org: OrgRow,
    ceptoar_sectors: &BTreeMap<OrgId, BTreeSet<String>>,
    reference: &ReferenceData,
) -> OrgFacts {
    let jurisdiction = match (&org.ministry, org.roles.contains(&Role::SectorMinistry)) {
        (Some(m), true) => reference.jurisdiction(m),
        _ => BTreeSet::new(),
    };
    OrgFacts {
        id: org.id,
        code: org.code,
        ministry: org.ministry,
        in_ceptoar: !org.ceptoar_ids.is_empty(),
        ceptoar_sectors: org
            .ceptoar_ids
            .iter()
            .flat_map(|c| ceptoar_sectors.get(c).into_iter().flatten().cloned())
            .collect(),
        ceptoars: org.ceptoar_ids,
        roles: org.roles,
        sectors: org.sectors,
        jurisdiction,
    }
}
