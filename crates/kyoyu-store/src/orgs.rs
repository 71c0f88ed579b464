//! Organisations: roles, sectors, CEPTOAR membership, ministry identity (for jurisdiction).
//! Loads are filtered in SQL (by id, code or role), so that a world of ten thousand operators
//! costs a use case only the organisations it asks about.

use std::collections::{BTreeMap, BTreeSet};

use kyoyu_domain::policy::OrgFacts;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::{OrgId, Role};
use sqlx::Row;

use crate::sql::Sql;
use crate::{Result, StoreError, Tx};

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
    }
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
        let mut sql = Sql::new("SELECT id, code, name_ja, name_en, ministry FROM orgs WHERE ");
        push_filter(&mut sql, &f);
        sql.push(" ORDER BY code");
        let mut base = Vec::new();
        for r in sql.query().fetch_all(self.conn()).await? {
            base.push((
                r.try_get::<i64, _>("id")?,
                r.try_get::<String, _>("code")?,
                r.try_get::<String, _>("name_ja")?,
                r.try_get::<String, _>("name_en")?,
                r.try_get::<Option<String>, _>("ministry")?,
            ));
        }
        if base.is_empty() {
            return Ok(Vec::new());
        }
        // Details of the selected organisations only.
        let sub = |what: &str, col: &str| {
            let mut s = Sql::new(what);
            s.push(&format!(" WHERE {col} IN (SELECT id FROM orgs WHERE "));
            push_filter(&mut s, &f);
            s.push(")");
            s
        };
        let mut roles: BTreeMap<i64, BTreeSet<Role>> = BTreeMap::new();
        for r in sub("SELECT org_id, role FROM org_roles", "org_id")
            .query()
            .fetch_all(self.conn())
            .await?
        {
            let role: String = r.try_get("role")?;
            let role = role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("role `{role}`")))?;
            roles.entry(r.try_get("org_id")?).or_default().insert(role);
        }
        let mut sectors: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for r in sub("SELECT org_id, sector FROM org_sectors", "org_id")
            .query()
            .fetch_all(self.conn())
            .await?
        {
            sectors
                .entry(r.try_get("org_id")?)
                .or_default()
                .insert(r.try_get("sector")?);
        }
        let mut ceptoars: BTreeMap<i64, BTreeSet<(i64, String)>> = BTreeMap::new();
        for r in sub(
            "SELECT m.member_id, o.id, o.code FROM ceptoar_members m JOIN orgs o ON o.id = m.ceptoar_id",
            "m.member_id",
        )
        .query()
        .fetch_all(self.conn())
        .await?
        {
            ceptoars
                .entry(r.try_get("member_id")?)
                .or_default()
                .insert((r.try_get("id")?, r.try_get("code")?));
        }
        Ok(base
            .into_iter()
            .map(|(id, code, name_ja, name_en, ministry)| {
                let cs = ceptoars.remove(&id).unwrap_or_default();
                OrgRow {
                    id: OrgId(id),
                    code,
                    name_ja,
                    name_en,
                    roles: roles.remove(&id).unwrap_or_default(),
                    sectors: sectors.remove(&id).unwrap_or_default(),
                    ministry,
                    ceptoars: cs.iter().map(|(_, c)| c.clone()).collect(),
                    ceptoar_ids: cs.iter().map(|(i, _)| OrgId(*i)).collect(),
                }
            })
            .collect())
    }

    /// What the policy needs to know about the organisations a filter selects. Jurisdiction
    /// comes from the reference data (it changes by government decision, not by release).
    pub async fn org_facts_where(
        &mut self,
        f: OrgFilter<'_>,
        reference: &ReferenceData,
    ) -> Result<Vec<OrgFacts>> {
        let rows = self.orgs(f).await?;
        let ceptoar_ids: Vec<OrgId> = rows
            .iter()
            .flat_map(|o| o.ceptoar_ids.iter().copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut ceptoar_sectors: BTreeMap<OrgId, BTreeSet<String>> = BTreeMap::new();
        if !ceptoar_ids.is_empty() {
            let mut sql = Sql::new("SELECT org_id, sector FROM org_sectors WHERE org_id IN (");
            for (i, id) in ceptoar_ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_i64(id.0);
            }
            sql.push(")");
            for r in sql.query().fetch_all(self.conn()).await? {
                ceptoar_sectors
                    .entry(OrgId(r.try_get("org_id")?))
                    .or_default()
                    .insert(r.try_get("sector")?);
            }
        }
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
