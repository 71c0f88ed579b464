//! Organisations as use cases need them: references (code and name) for what a page shows,
//! and the candidates the route rules choose from. Loads are narrow — the organisations an
//! item names, the ministries and NISC — never the whole directory of ten thousand operators.

use std::collections::{BTreeSet, HashMap};

use kyoyu_domain::policy::{Actor, OrgFacts};
use kyoyu_domain::{OrgId, Role};
use kyoyu_store::{OrgFilter, OrgRow, Tx};
use serde::Serialize;

use crate::{Core, CoreError, Result};

/// An organisation as a page shows it: code and name, never an internal id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRef {
    pub code: String,
    pub name: String,
}

impl From<&OrgRow> for OrgRef {
    fn from(o: &OrgRow) -> Self {
        OrgRef {
            code: o.code.clone(),
            name: o.name_ja.clone(),
        }
    }
}

impl From<&OrgFacts> for OrgRef {
    fn from(o: &OrgFacts) -> Self {
        OrgRef {
            code: o.code.clone(),
            name: String::new(),
        }
    }
}

/// References for a set of organisations.
pub(crate) struct Refs(HashMap<OrgId, OrgRef>);

impl Refs {
    pub(crate) async fn load(tx: &mut Tx, ids: impl IntoIterator<Item = OrgId>) -> Result<Refs> {
        let ids: Vec<OrgId> = ids
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(Refs(
            tx.orgs(OrgFilter::Ids(&ids))
                .await?
                .iter()
                .map(|o| (o.id, OrgRef::from(o)))
                .collect(),
        ))
    }

    pub(crate) fn get(&self, id: OrgId) -> OrgRef {
        self.0.get(&id).cloned().unwrap_or(OrgRef {
            code: String::new(),
            name: String::new(),
        })
    }
}

impl Core {
    /// The candidates of the report route rules for `actor`: every sector ministry, NISC, the
    /// actor's CEPTOARs, and `extra` (say, a thread's first recipient).
    pub(crate) async fn route_dir(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        extra: &[OrgId],
    ) -> Result<Vec<OrgFacts>> {
        Ok(self.route_dir_and(tx, actor, extra, &[]).await?.0)
    }

    /// [`Core::route_dir`] and, in the same load, the organisations of `codes` (a route's
    /// target, the organisations a form names), in the order of `codes`; an unknown code is an
    /// `invalid_field` naming `fields[i]`.
    pub(crate) async fn route_dir_and(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        extra: &[OrgId],
        codes: &[(String, String)],
    ) -> Result<(Vec<OrgFacts>, Vec<OrgFacts>)> {
        let mut ids: Vec<OrgId> = actor
            .org()
            .map(|o| o.ceptoars.iter().copied().collect())
            .unwrap_or_default();
        ids.extend_from_slice(extra);
        let roles = [Role::SectorMinistry, Role::Nisc];
        let wanted: Vec<String> = codes.iter().map(|(c, _)| c.clone()).collect();
        let all = tx
            .org_facts_where(
                OrgFilter::RolesIdsCodes(&roles, &ids, &wanted),
                &self.reference(),
            )
            .await?;
        let mut named = Vec::with_capacity(codes.len());
        for (code, field) in codes {
            let found = all
                .iter()
                .find(|o| &o.code == code)
                .cloned()
                .ok_or_else(|| {
                    CoreError::invalid(
                        field,
                        kyoyu_domain::messages::Msg::new("invalid.unknown_org").arg("code", code),
                    )
                })?;
            named.push(found);
        }
        let dir = all
            .into_iter()
            .filter(|o| roles.iter().any(|r| o.has(*r)) || ids.contains(&o.id))
            .collect();
        Ok((dir, named))
    }

    /// One organisation's facts by code, or an `invalid_field` naming `field`.
    pub(crate) async fn org_by_code(
        &self,
        tx: &mut Tx,
        code: &str,
        field: &str,
    ) -> Result<OrgFacts> {
        let codes = [code.to_owned()];
        tx.org_facts_where(OrgFilter::Codes(&codes), &self.reference())
            .await?
            .pop()
            .ok_or_else(|| {
                CoreError::invalid(
                    field,
                    kyoyu_domain::messages::Msg::new("invalid.unknown_org").arg("code", code),
                )
            })
    }
}
