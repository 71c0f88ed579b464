//! Organisations: roles, sectors, CEPTOAR membership, ministry identity (for jurisdiction).

use std::collections::{BTreeMap, BTreeSet};

use kyoyu_domain::Role;
use kyoyu_domain::policy::OrgFacts;
use kyoyu_domain::reference::ReferenceData;
use sqlx::Row;

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
    pub id: i64,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub roles: BTreeSet<Role>,
    pub sectors: BTreeSet<String>,
    pub ministry: Option<String>,
    /// Codes of the CEPTOARs this organisation is a member of.
    pub ceptoars: BTreeSet<String>,
}

impl Tx {
    pub async fn create_org(&mut self, org: &NewOrg) -> Result<i64> {
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
        let id: i64 = row.try_get("id")?;
        self.set_org_roles(id, &org.roles).await?;
        self.set_org_sectors(id, &org.sectors).await?;
        Ok(id)
    }

    pub async fn set_org_roles(&mut self, id: i64, roles: &BTreeSet<Role>) -> Result<()> {
        sqlx::query("DELETE FROM org_roles WHERE org_id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        for r in roles {
            sqlx::query("INSERT INTO org_roles (org_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(r.code())
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn set_org_sectors(&mut self, id: i64, sectors: &BTreeSet<String>) -> Result<()> {
        sqlx::query("DELETE FROM org_sectors WHERE org_id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        for s in sectors {
            sqlx::query("INSERT INTO org_sectors (org_id, sector) VALUES ($1, $2)")
                .bind(id)
                .bind(s)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    pub async fn add_ceptoar_member(&mut self, ceptoar: i64, member: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO ceptoar_members (ceptoar_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(ceptoar)
        .bind(member)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn org_id_by_code(&mut self, code: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM orgs WHERE code = $1")
            .bind(code)
            .fetch_optional(self.conn())
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("id")?),
            None => None,
        })
    }

    pub async fn org(&mut self, id: i64) -> Result<OrgRow> {
        let mut orgs = self.load_orgs(Some(id)).await?;
        orgs.pop()
            .ok_or_else(|| StoreError::NotFound(format!("organisation {id}")))
    }

    /// Every organisation, by code.
    pub async fn list_orgs(&mut self) -> Result<Vec<OrgRow>> {
        self.load_orgs(None).await
    }

    async fn load_orgs(&mut self, only: Option<i64>) -> Result<Vec<OrgRow>> {
        let filter = if only.is_some() { " WHERE id = $1" } else { "" };
        let sql =
            format!("SELECT id, code, name_ja, name_en, ministry FROM orgs{filter} ORDER BY code");
        let mut q = sqlx::query_as::<_, (i64, String, String, String, Option<String>)>(&sql);
        if let Some(id) = only {
            q = q.bind(id);
        }
        let base = q.fetch_all(self.conn()).await?;
        let mut roles: BTreeMap<i64, BTreeSet<Role>> = BTreeMap::new();
        for (org, role) in sqlx::query_as::<_, (i64, String)>("SELECT org_id, role FROM org_roles")
            .fetch_all(self.conn())
            .await?
        {
            let role = role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("role `{role}`")))?;
            roles.entry(org).or_default().insert(role);
        }
        let mut sectors: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for (org, sector) in
            sqlx::query_as::<_, (i64, String)>("SELECT org_id, sector FROM org_sectors")
                .fetch_all(self.conn())
                .await?
        {
            sectors.entry(org).or_default().insert(sector);
        }
        let mut ceptoars: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for (member, code) in sqlx::query_as::<_, (i64, String)>(
            "SELECT m.member_id, o.code FROM ceptoar_members m JOIN orgs o ON o.id = m.ceptoar_id",
        )
        .fetch_all(self.conn())
        .await?
        {
            ceptoars.entry(member).or_default().insert(code);
        }
        Ok(base
            .into_iter()
            .map(|(id, code, name_ja, name_en, ministry)| OrgRow {
                id,
                code,
                name_ja,
                name_en,
                roles: roles.remove(&id).unwrap_or_default(),
                sectors: sectors.remove(&id).unwrap_or_default(),
                ministry,
                ceptoars: ceptoars.remove(&id).unwrap_or_default(),
            })
            .collect())
    }

    /// What the policy needs to know about an organisation. Jurisdiction comes from the
    /// reference data (it changes by government decision, not by release).
    pub async fn org_facts(&mut self, id: i64, reference: &ReferenceData) -> Result<OrgFacts> {
        let org = self.org(id).await?;
        let ceptoar_sectors: BTreeSet<String> = sqlx::query_as::<_, (String,)>(
            "SELECT DISTINCT s.sector FROM ceptoar_members m JOIN org_sectors s ON s.org_id = m.ceptoar_id WHERE m.member_id = $1",
        )
        .bind(id)
        .fetch_all(self.conn())
        .await?
        .into_iter()
        .map(|(s,)| s)
        .collect();
        let jurisdiction = match (&org.ministry, org.roles.contains(&Role::SectorMinistry)) {
            (Some(m), true) => reference.jurisdiction(m),
            _ => BTreeSet::new(),
        };
        Ok(OrgFacts {
            id,
            in_ceptoar: !org.ceptoars.is_empty(),
            roles: org.roles,
            sectors: org.sectors,
            jurisdiction,
            ceptoar_sectors,
        })
    }
}
