//! Context (Ⅱ.1): the assets to protect (図表5), each linked to the sector services it supports
//! with their maintenance levels (図表6), and the issues (課題, 1.3) from the four sources.

use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::risk::RiskOwner;
use kyoyu_store::{RiskDoc, RiskTable, Tx};

use super::records::AssetRecord;
use super::{
    Asset, AssetService, Issue, NewAsset, NewIssue, corrupt, list_len, owner, text, title,
};
use crate::auth::Session;
use crate::{Core, CoreError, Result};

impl Core {
    fn asset_of(&self, d: &RiskDoc) -> Result<Asset> {
        let rec: AssetRecord = serde_json::from_str(&d.body).map_err(corrupt)?;
        let reference = self.reference();
        let services = rec
            .services
            .iter()
            .map(|code| match reference.service(code) {
                Some((sector, svc)) => AssetService {
                    code: code.clone(),
                    sector: sector.code.clone(),
                    name: svc.name_ja.clone(),
                    maintenance_level: svc.sml_ja.clone(),
                },
                // A service the reference data no longer has keeps its code.
                None => AssetService {
                    code: code.clone(),
                    sector: String::new(),
                    name: code.clone(),
                    maintenance_level: String::new(),
                },
            })
            .collect();
        Ok(Asset {
            id: d.id,
            name: rec.name,
            kind: rec.kind,
            services,
            description: rec.description,
            created_at: d.created_at.clone(),
        })
    }

    pub(super) async fn assets_of(&self, tx: &mut Tx, owner: &RiskOwner) -> Result<Vec<Asset>> {
        tx.risk_docs(owner, RiskTable::Assets)
            .await?
            .iter()
            .map(|d| self.asset_of(d))
            .collect()
    }

    pub(super) async fn issues_of(&self, tx: &mut Tx, owner: &RiskOwner) -> Result<Vec<Issue>> {
        tx.risk_docs(owner, RiskTable::Issues)
            .await?
            .iter()
            .map(|d| {
                let mut i: Issue = serde_json::from_str(&d.body).map_err(corrupt)?;
                i.id = d.id;
                i.created_at = d.created_at.clone();
                Ok(i)
            })
            .collect()
    }

    pub async fn risk_assets(&self, s: &Session) -> Result<Vec<Asset>> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        self.assets_of(&mut tx, &owner).await
    }

    pub async fn add_risk_asset(&self, s: &Session, new: NewAsset) -> Result<Asset> {
        let owner = owner(s)?;
        let reference = self.reference();
        list_len("services", &new.services)?;
        for (i, code) in new.services.iter().enumerate() {
            if reference.service(code).is_none() {
                return Err(CoreError::invalid(
                    format!("services[{i}]"),
                    Msg::new("invalid.unknown_service").arg("code", code),
                ));
            }
        }
        let mut services = new.services.clone();
        services.dedup();
        let rec = AssetRecord {
            name: title("name", &new.name)?,
            kind: new.kind,
            services,
            description: text("description", &new.description)?,
        };
        let body = serde_json::to_string(&rec).map_err(CoreError::internal)?;
        let mut tx = self.store.begin().await?;
        let at = self.now_ts();
        let id = tx
            .add_risk_doc(&owner, RiskTable::Assets, &body, &at)
            .await?;
        tx.commit().await?;
        self.asset_of(&RiskDoc {
            id,
            body,
            created_by: s.user_id,
            created_at: at.clone(),
            updated_at: at,
        })
    }

    pub async fn risk_issues(&self, s: &Session) -> Result<Vec<Issue>> {
        let owner = owner(s)?;
        let mut tx = self.store.read().await?;
        self.issues_of(&mut tx, &owner).await
    }

    /// An issue; a linked advisory or report must be one the caller sees (otherwise the same
    /// answer as for one that does not exist).
    pub async fn add_risk_issue(&self, s: &Session, new: NewIssue) -> Result<Issue> {
        let owner = owner(s)?;
        let mut tx = self.store.begin().await?;
        if let Some(a) = new.advisory_id
            && tx.scoped(&s.actor).advisory(a).await.is_err()
        {
            return Err(CoreError::invalid(
                "advisory_id",
                Msg::new("invalid.unknown_advisory").arg("id", a),
            ));
        }
        if let Some(r) = new.report_id
            && tx.scoped(&s.actor).report(r).await.is_err()
        {
            return Err(CoreError::invalid(
                "report_id",
                Msg::new("invalid.unknown_report").arg("id", r),
            ));
        }
        let mut issue = Issue {
            id: 0,
            title: title("title", &new.title)?,
            source: new.source,
            advisory_id: new.advisory_id,
            report_id: new.report_id,
            note: text("note", &new.note)?,
            created_at: self.now_ts(),
        };
        let body = serde_json::to_string(&issue).map_err(CoreError::internal)?;
        issue.id = tx
            .add_risk_doc(&owner, RiskTable::Issues, &body, &issue.created_at)
            .await?;
        tx.commit().await?;
        Ok(issue)
    }
}
