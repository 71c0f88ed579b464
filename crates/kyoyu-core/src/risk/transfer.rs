//! A whole register as one JSON document, to move an organisation's risk process between kyoyu
//! installations or to start from a register kept elsewhere: the criteria versions in order,
//! the assets, the issues and the risks with their evaluations, treatments and rounds. Import
//! adds everything to the caller's own register in one transaction, re-numbering ids and
//! criteria versions; a link to an advisory or report the caller does not see here is dropped
//! and counted.

use std::collections::BTreeMap;

use kyoyu_domain::messages::Msg;
use kyoyu_domain::risk::Criteria;
use kyoyu_store::RiskTable;
use serde::{Deserialize, Serialize};

use super::records::{AssetRecord, RiskRecord};
use super::{Issue, corrupt, list_len, owner, text, title};
use crate::auth::Session;
use crate::{Core, CoreError, Result};

/// The format name and version a document carries.
pub const FORMAT: &str = "kyoyu-risk-register/1";
/// The most records of one kind a document may hold.
const MAX_RECORDS: usize = 10_000;

/// An asset with the id the document's risks refer to it by.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AssetEntry {
    pub id: i64,
    pub name: String,
    pub kind: kyoyu_domain::risk::AssetKind,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub description: String,
}

/// A risk with the id it had where it was exported.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskEntry {
    pub id: i64,
    #[serde(flatten)]
    pub risk: RiskRecord,
}

/// `GET /api/v1/risk/export`, `POST /api/v1/risk/import`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterDocument {
    /// `kyoyu-risk-register/1`.
    pub format: String,
    #[serde(default)]
    pub exported_at: String,
    /// Every version of the criteria, oldest first.
    #[serde(default)]
    pub criteria: Vec<Criteria>,
    #[serde(default)]
    pub assets: Vec<AssetEntry>,
    #[serde(default)]
    pub issues: Vec<Issue>,
    #[serde(default)]
    pub risks: Vec<RiskEntry>,
}

/// What an import added.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub criteria: usize,
    pub assets: usize,
    pub issues: usize,
    pub risks: usize,
    /// Links to advisories or reports this installation does not show the caller.
    pub dropped_links: usize,
}

fn unknown(field: String, id: i64, key: &'static str) -> CoreError {
    CoreError::invalid(field, Msg::new(key).arg("id", id))
}

impl Core {
    /// The caller's organisation's register as one document.
    pub async fn export_risk_register(&self, s: &Session) -> Result<RegisterDocument> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        let mut criteria = Vec::new();
        for row in tx.risk_criteria_versions(&owner).await?.iter().rev() {
            criteria.push(serde_json::from_str(&row.body).map_err(corrupt)?);
        }
        let assets = tx
            .risk_docs(&owner, RiskTable::Assets)
            .await?
            .iter()
            .map(|d| {
                let a: AssetRecord = serde_json::from_str(&d.body).map_err(corrupt)?;
                Ok(AssetEntry {
                    id: d.id,
                    name: a.name,
                    kind: a.kind,
                    services: a.services,
                    description: a.description,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let issues = self.issues_of(&mut tx, &owner).await?;
        let mut risks = Vec::new();
        for d in tx.risks(&owner).await?.iter().rev() {
            risks.push(RiskEntry {
                id: d.id,
                risk: serde_json::from_str(&d.body).map_err(corrupt)?,
            });
        }
        Ok(RegisterDocument {
            format: FORMAT.to_owned(),
            exported_at: self.now_ts(),
            criteria,
            assets,
            issues,
            risks,
        })
    }

    /// Adds a document's register to the caller's organisation's, all or nothing.
    pub async fn import_risk_register(
        &self,
        s: &Session,
        doc: RegisterDocument,
    ) -> Result<ImportSummary> {
        let owner = owner(s)?;
        if doc.format != FORMAT {
            return Err(CoreError::invalid(
                "format",
                Msg::new("invalid.register_format").arg("format", FORMAT),
            ));
        }
        for (field, n) in [
            ("criteria", doc.criteria.len()),
            ("assets", doc.assets.len()),
            ("issues", doc.issues.len()),
            ("risks", doc.risks.len()),
        ] {
            if n > MAX_RECORDS {
                return Err(CoreError::invalid(
                    field,
                    Msg::new("invalid.too_many").arg("max", MAX_RECORDS),
                ));
            }
        }
        let reference = self.reference();
        let mut tx = self.store.begin().await?;
        let at = self.now_ts();
        let mut summary = ImportSummary {
            criteria: 0,
            assets: 0,
            issues: 0,
            risks: 0,
            dropped_links: 0,
        };
        // Versions continue this register's numbering.
        let base = tx.risk_criteria(&owner).await?.map_or(0, |c| c.version);
        for (i, c) in doc.criteria.iter().enumerate() {
            c.check()
                .map_err(|(f, m)| CoreError::invalid(format!("criteria[{i}].{f}"), m))?;
            let body = serde_json::to_string(c).map_err(CoreError::internal)?;
            tx.add_risk_criteria(&owner, &body, &at).await?;
            summary.criteria += 1;
        }
        let version = |v: Option<i64>| v.map(|v| v + base);
        let mut asset_ids = BTreeMap::new();
        for (i, a) in doc.assets.iter().enumerate() {
            list_len(&format!("assets[{i}].services"), &a.services)?;
            if let Some((j, code)) = a
                .services
                .iter()
                .enumerate()
                .find(|(_, c)| reference.service(c).is_none())
            {
                return Err(CoreError::invalid(
                    format!("assets[{i}].services[{j}]"),
                    Msg::new("invalid.unknown_service").arg("code", code),
                ));
            }
            let rec = AssetRecord {
                name: title(&format!("assets[{i}].name"), &a.name)?,
                kind: a.kind,
                services: a.services.clone(),
                description: text(&format!("assets[{i}].description"), &a.description)?,
            };
            let body = serde_json::to_string(&rec).map_err(CoreError::internal)?;
            let id = tx
                .add_risk_doc(&owner, RiskTable::Assets, &body, &at)
                .await?;
            asset_ids.insert(a.id, id);
            summary.assets += 1;
        }
        let mut issue_ids = BTreeMap::new();
        for (i, issue) in doc.issues.iter().enumerate() {
            let mut kept = Issue {
                id: 0,
                title: title(&format!("issues[{i}].title"), &issue.title)?,
                note: text(&format!("issues[{i}].note"), &issue.note)?,
                created_at: at.clone(),
                ..issue.clone()
            };
            if let Some(a) = kept.advisory_id
                && tx.scoped(&s.actor).advisory(a).await.is_err()
            {
                kept.advisory_id = None;
                summary.dropped_links += 1;
            }
            if let Some(r) = kept.report_id
                && tx.scoped(&s.actor).report(r).await.is_err()
            {
                kept.report_id = None;
                summary.dropped_links += 1;
            }
            let body = serde_json::to_string(&kept).map_err(CoreError::internal)?;
            let id = tx
                .add_risk_doc(&owner, RiskTable::Issues, &body, &at)
                .await?;
            issue_ids.insert(issue.id, id);
            summary.issues += 1;
        }
        let owned_assets = self.assets_of(&mut tx, &owner).await?;
        for (i, e) in doc.risks.iter().enumerate() {
            let mut rec = e.risk.clone();
            rec.title = title(&format!("risks[{i}].title"), &rec.title)?;
            rec.consequence = text(&format!("risks[{i}].consequence"), &rec.consequence)?;
            rec.impact = text(&format!("risks[{i}].impact"), &rec.impact)?;
            super::frequency(
                &format!("risks[{i}].frequency_per_year"),
                rec.frequency_per_year,
            )?;
            list_len(&format!("risks[{i}].asset_ids"), &rec.asset_ids)?;
            list_len(&format!("risks[{i}].issue_ids"), &rec.issue_ids)?;
            rec.asset_ids = rec
                .asset_ids
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    asset_ids.get(a).copied().ok_or_else(|| {
                        unknown(
                            format!("risks[{i}].asset_ids[{j}]"),
                            *a,
                            "invalid.unknown_asset",
                        )
                    })
                })
                .collect::<Result<_>>()?;
            rec.issue_ids = rec
                .issue_ids
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    issue_ids.get(a).copied().ok_or_else(|| {
                        unknown(
                            format!("risks[{i}].issue_ids[{j}]"),
                            *a,
                            "invalid.unknown_issue",
                        )
                    })
                })
                .collect::<Result<_>>()?;
            rec.evaluation.criteria_version = version(rec.evaluation.criteria_version);
            if let Some(r) = rec.residual.as_mut() {
                r.evaluation.criteria_version = version(r.evaluation.criteria_version);
            }
            for r in &mut rec.rounds {
                r.residual.evaluation.criteria_version =
                    version(r.residual.evaluation.criteria_version);
            }
            let cols = Self::risk_columns(s, &owned_assets, &rec, rec.current().criteria_version);
            let body = serde_json::to_string(&rec).map_err(CoreError::internal)?;
            let id = tx.add_risk(&owner, &cols, &body, &at).await?;
            let detail = serde_json::json!({ "from": e.id, "evaluation": rec.current() });
            tx.add_risk_history(&owner, id, "imported", &detail.to_string(), &at)
                .await?;
            summary.risks += 1;
        }
        self.audit(
            &mut tx,
            &s.actor,
            "risk_register_imported",
            "risk_register",
            serde_json::json!({ "criteria": summary.criteria, "assets": summary.assets, "issues": summary.issues, "risks": summary.risks }),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }
}
