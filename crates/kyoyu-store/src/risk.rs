//! The risk register of one organisation (seed 004). Every public function but
//! [`Tx::risks_matching`] takes the [`RiskOwner`] the policy made and binds its organisation in
//! every statement, so no caller can read or change another organisation's risk data. The
//! records are kept as the core's JSON; the columns beside them are what lists order by and
//! what an arriving advisory is matched on.

use kyoyu_domain::policy::risk::RiskOwner;
use kyoyu_domain::{OrgId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::Sql;
use crate::{Result, StoreError, Tx};

/// A stored record: its id, the core's JSON and when it was made and last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskDoc {
    pub id: i64,
    pub body: String,
    pub created_by: UserId,
    pub created_at: String,
    pub updated_at: String,
}

/// A version of the criteria.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriteriaRow {
    pub version: i64,
    pub body: String,
    pub created_by: UserId,
    pub created_at: String,
}

/// What the store indexes of a risk beside its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskColumns {
    pub event: String,
    pub state: String,
    pub priority: String,
    pub criteria_version: Option<i64>,
    pub causes: Vec<String>,
    /// The sectors of the services its assets support (or of the organisation).
    pub sectors: Vec<String>,
}

/// One entry of a risk's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskHistoryRow {
    pub id: i64,
    pub kind: String,
    pub body: String,
    pub user: Option<UserId>,
    pub at: String,
}

/// A review task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskReviewRow {
    pub id: i64,
    pub risk_id: i64,
    pub reason: String,
    pub advisory_id: Option<i64>,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub note: String,
}

/// A risk an advisory may concern, before the policy has said whether its organisation sees
/// the advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskCandidate {
    pub risk_id: i64,
    pub org: OrgId,
    pub created_by: UserId,
}

/// Which tables hold plain records.
#[derive(Debug, Clone, Copy)]
pub enum RiskTable {
    Assets,
    Issues,
}

impl RiskTable {
    fn name(self) -> &'static str {
        match self {
            RiskTable::Assets => "risk_assets",
            RiskTable::Issues => "risk_issues",
        }
    }
}

fn doc(r: &AnyRow) -> Result<RiskDoc> {
    let created_at: String = r.try_get("created_at")?;
    Ok(RiskDoc {
        id: r.try_get("id")?,
        body: r.try_get("body")?,
        created_by: UserId(r.try_get("created_by")?),
        updated_at: r
            .try_get::<Option<String>, _>("updated_at")
            .ok()
            .flatten()
            .unwrap_or_else(|| created_at.clone()),
        created_at,
    })
}

fn review(r: &AnyRow) -> Result<RiskReviewRow> {
    Ok(RiskReviewRow {
        id: r.try_get("id")?,
        risk_id: r.try_get("risk_id")?,
        reason: r.try_get("reason")?,
        advisory_id: r.try_get("advisory_id")?,
        opened_at: r.try_get("opened_at")?,
        closed_at: r.try_get("closed_at")?,
        note: r.try_get("note")?,
    })
}

impl Tx {
    /// The newest version of the owner's criteria.
    pub async fn risk_criteria(&mut self, owner: &RiskOwner) -> Result<Option<CriteriaRow>> {
        Ok(self.risk_criteria_versions(owner).await?.into_iter().next())
    }

    /// Every version, newest first.
    pub async fn risk_criteria_versions(&mut self, owner: &RiskOwner) -> Result<Vec<CriteriaRow>> {
        let rows = sqlx::query("SELECT version, body, created_by, created_at FROM risk_criteria WHERE org_id = $1 ORDER BY version DESC")
            .bind(owner.org().0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CriteriaRow {
                    version: r.try_get("version")?,
                    body: r.try_get("body")?,
                    created_by: UserId(r.try_get("created_by")?),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// A new version of the criteria; answers its number.
    pub async fn add_risk_criteria(
        &mut self,
        owner: &RiskOwner,
        body: &str,
        at: &str,
    ) -> Result<i64> {
        let r = sqlx::query("INSERT INTO risk_criteria (org_id, version, body, created_by, created_at) SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM risk_criteria WHERE org_id = $5 RETURNING version")
            .bind(owner.org().0)
            .bind(body)
            .bind(owner.user().0)
            .bind(at)
            .bind(owner.org().0)
            .fetch_one(self.conn())
            .await?;
        Ok(r.try_get("version")?)
    }

    /// A new asset or issue; answers its id.
    pub async fn add_risk_doc(
        &mut self,
        owner: &RiskOwner,
        table: RiskTable,
        body: &str,
        at: &str,
    ) -> Result<i64> {
        let sql = format!(
            "INSERT INTO {} (org_id, body, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            table.name()
        );
        let r = sqlx::query(&sql)
            .bind(owner.org().0)
            .bind(body)
            .bind(owner.user().0)
            .bind(at)
            .fetch_one(self.conn())
            .await?;
        Ok(r.try_get("id")?)
    }

    /// The owner's assets or issues, oldest first.
    pub async fn risk_docs(&mut self, owner: &RiskOwner, table: RiskTable) -> Result<Vec<RiskDoc>> {
        let sql = format!(
            "SELECT id, body, created_by, created_at FROM {} WHERE org_id = $1 ORDER BY id",
            table.name()
        );
        let rows = sqlx::query(&sql)
            .bind(owner.org().0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(doc).collect()
    }

    /// A new risk; answers its id.
    pub async fn add_risk(
        &mut self,
        owner: &RiskOwner,
        cols: &RiskColumns,
        body: &str,
        at: &str,
    ) -> Result<i64> {
        let r = sqlx::query("INSERT INTO risks (org_id, event, state, priority, criteria_version, body, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(owner.org().0)
            .bind(&cols.event)
            .bind(&cols.state)
            .bind(&cols.priority)
            .bind(cols.criteria_version)
            .bind(body)
            .bind(owner.user().0)
            .bind(at)
            .bind(at)
            .fetch_one(self.conn())
            .await?;
        let id: i64 = r.try_get("id")?;
        self.put_risk_terms(id, cols).await?;
        Ok(id)
    }

    /// Replaces a risk's record; `NotFound` when the owner has no such risk.
    pub async fn update_risk(
        &mut self,
        owner: &RiskOwner,
        id: i64,
        cols: &RiskColumns,
        body: &str,
        at: &str,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE risks SET event = $1, state = $2, priority = $3, criteria_version = $4, body = $5, updated_at = $6 WHERE id = $7 AND org_id = $8")
            .bind(&cols.event)
            .bind(&cols.state)
            .bind(&cols.priority)
            .bind(cols.criteria_version)
            .bind(body)
            .bind(at)
            .bind(id)
            .bind(owner.org().0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("risk {id}")));
        }
        sqlx::query("DELETE FROM risk_causes WHERE risk_id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM risk_sectors WHERE risk_id = $1")
            .bind(id)
            .execute(self.conn())
            .await?;
        self.put_risk_terms(id, cols).await
    }

    async fn put_risk_terms(&mut self, id: i64, cols: &RiskColumns) -> Result<()> {
        for (table, col, values) in [
            ("risk_causes", "cause", &cols.causes),
            ("risk_sectors", "sector", &cols.sectors),
        ] {
            for v in values {
                let sql = format!(
                    "INSERT INTO {table} (risk_id, {col}) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                );
                sqlx::query(&sql)
                    .bind(id)
                    .bind(v)
                    .execute(self.conn())
                    .await?;
            }
        }
        Ok(())
    }

    /// One of the owner's risks.
    pub async fn risk(&mut self, owner: &RiskOwner, id: i64) -> Result<Option<RiskDoc>> {
        let r = sqlx::query("SELECT id, body, created_by, created_at, updated_at FROM risks WHERE id = $1 AND org_id = $2")
            .bind(id)
            .bind(owner.org().0)
            .fetch_optional(self.conn())
            .await?;
        r.as_ref().map(doc).transpose()
    }

    /// The owner's risks, newest first.
    pub async fn risks(&mut self, owner: &RiskOwner) -> Result<Vec<RiskDoc>> {
        let rows = sqlx::query("SELECT id, body, created_by, created_at, updated_at FROM risks WHERE org_id = $1 ORDER BY id DESC")
            .bind(owner.org().0)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(doc).collect()
    }

    /// Appends to a risk's history (the risk must be the owner's).
    pub async fn add_risk_history(
        &mut self,
        owner: &RiskOwner,
        risk: i64,
        kind: &str,
        body: &str,
        at: &str,
    ) -> Result<()> {
        let done = sqlx::query("INSERT INTO risk_history (risk_id, kind, body, user_id, at) SELECT id, $1, $2, $3, $4 FROM risks WHERE id = $5 AND org_id = $6")
            .bind(kind)
            .bind(body)
            .bind(owner.user().0)
            .bind(at)
            .bind(risk)
            .bind(owner.org().0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("risk {risk}")));
        }
        Ok(())
    }

    /// A risk's history, oldest first.
    pub async fn risk_history(
        &mut self,
        owner: &RiskOwner,
        risk: i64,
    ) -> Result<Vec<RiskHistoryRow>> {
        let rows = sqlx::query("SELECT h.id, h.kind, h.body, h.user_id, h.at FROM risk_history h JOIN risks r ON r.id = h.risk_id WHERE h.risk_id = $1 AND r.org_id = $2 ORDER BY h.id")
            .bind(risk)
            .bind(owner.org().0)
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RiskHistoryRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    user: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Opens a review task unless the same advisory opened one for the risk already; answers
    /// its id when it is new.
    pub async fn open_risk_review(
        &mut self,
        owner: &RiskOwner,
        risk: i64,
        reason: &str,
        advisory: Option<i64>,
        at: &str,
    ) -> Result<Option<i64>> {
        let r = sqlx::query("INSERT INTO risk_reviews (org_id, risk_id, reason, advisory_id, opened_at) SELECT org_id, id, $1, $2, $3 FROM risks WHERE id = $4 AND org_id = $5 ON CONFLICT DO NOTHING RETURNING id")
            .bind(reason)
            .bind(advisory)
            .bind(at)
            .bind(risk)
            .bind(owner.org().0)
            .fetch_optional(self.conn())
            .await?;
        r.map(|r| r.try_get("id")).transpose().map_err(Into::into)
    }

    /// The owner's review tasks, newest first; only the open ones unless `all`.
    pub async fn risk_reviews(
        &mut self,
        owner: &RiskOwner,
        all: bool,
    ) -> Result<Vec<RiskReviewRow>> {
        let mut sql = Sql::new(
            "SELECT id, risk_id, reason, advisory_id, opened_at, closed_at, note FROM risk_reviews WHERE org_id = ",
        );
        sql.bind_i64(owner.org().0);
        if !all {
            sql.push(" AND closed_at IS NULL");
        }
        sql.push(" ORDER BY id DESC");
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter().map(review).collect()
    }

    /// Closes an open review task with a note; `NotFound` when the owner has no such open task.
    pub async fn close_risk_review(
        &mut self,
        owner: &RiskOwner,
        id: i64,
        note: &str,
        at: &str,
    ) -> Result<RiskReviewRow> {
        let done = sqlx::query("UPDATE risk_reviews SET closed_at = $1, closed_by = $2, note = $3 WHERE id = $4 AND org_id = $5 AND closed_at IS NULL")
            .bind(at)
            .bind(owner.user().0)
            .bind(note)
            .bind(id)
            .bind(owner.org().0)
            .execute(self.conn())
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("review {id}")));
        }
        let r = sqlx::query("SELECT id, risk_id, reason, advisory_id, opened_at, closed_at, note FROM risk_reviews WHERE id = $1")
            .bind(id)
            .fetch_one(self.conn())
            .await?;
        review(&r)
    }

    /// The risks of any organisation whose event or causes and sectors match: candidates for a
    /// review when an advisory arrives. Only ids leave here; the core asks the policy whether
    /// each organisation sees the advisory before it opens anything through a [`RiskOwner`].
    pub async fn risks_matching(
        &mut self,
        events: &[String],
        causes: &[String],
        sectors: &[String],
    ) -> Result<Vec<RiskCandidate>> {
        if (events.is_empty() && causes.is_empty()) || sectors.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT r.id, r.org_id, r.created_by FROM risks r WHERE (");
        if events.is_empty() {
            sql.push("1 = 0");
        } else {
            sql.push("r.event IN ");
            sql.bind_list(events);
        }
        if !causes.is_empty() {
            sql.push(
                " OR EXISTS (SELECT 1 FROM risk_causes c WHERE c.risk_id = r.id AND c.cause IN ",
            );
            sql.bind_list(causes);
            sql.push(")");
        }
        sql.push(
            ") AND EXISTS (SELECT 1 FROM risk_sectors s WHERE s.risk_id = r.id AND s.sector IN ",
        );
        sql.bind_list(sectors);
        sql.push(") ORDER BY r.org_id, r.id");
        let rows = sql.query().fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(RiskCandidate {
                    risk_id: r.try_get("id")?,
                    org: OrgId(r.try_get("org_id")?),
                    created_by: UserId(r.try_get("created_by")?),
                })
            })
            .collect()
    }
}
