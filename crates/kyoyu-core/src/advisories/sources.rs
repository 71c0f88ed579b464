//! An advisory's sources: the reports it derives from, read through NISC's scope, with what
//! each allows (its TLP and sector, and any wider scope its sender accepted for this
//! advisory) and the strings that would identify its reporter (for the lint). The strings come
//! from the original, not the anonymised, versions and never leave this module but as lint
//! hits on NISC's own text.

use std::collections::BTreeSet;

use kyoyu_domain::advisory::record::{AdvisoryRecord, RequestState};
use kyoyu_domain::advisory::{self, SourceScope};
use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::{Actor, Visible};
use kyoyu_domain::report::thread::ReportRecord;
use kyoyu_domain::{ReportId, Tlp};
use kyoyu_store::Tx;

use crate::{Core, CoreError, Result};

/// A source as NISC may see it.
pub(crate) struct Source {
    pub rec: Visible<ReportRecord>,
    pub scope: SourceScope,
}

fn number_of(r: &ReportRecord) -> String {
    r.number
        .map(|n| format!("R{n}"))
        .unwrap_or_else(|| format!("#{}", r.id))
}

impl Core {
    /// Checks that every source exists and the caller may see it.
    pub(crate) async fn check_sources(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        reports: &[ReportId],
    ) -> Result<()> {
        for (i, r) in reports.iter().enumerate() {
            if tx.scoped(actor).report(*r).await.is_err() {
                return Err(CoreError::invalid(
                    format!("sources[{i}]"),
                    Msg::new("invalid.unknown_source").arg("id", r),
                ));
            }
        }
        Ok(())
    }

    /// The sources of an advisory with what each allows.
    pub(crate) async fn sources(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        adv: &AdvisoryRecord,
    ) -> Result<Vec<Source>> {
        let mut out = Vec::new();
        for id in &adv.sources {
            let rec = tx.scoped(actor).report(*id).await?;
            let mut accepted: Option<(Tlp, BTreeSet<String>)> = None;
            for q in adv
                .requests
                .iter()
                .filter(|q| q.report == *id && q.state == RequestState::Accepted)
            {
                let secs: BTreeSet<String> = q.wanted_sectors.iter().cloned().collect();
                accepted = Some(match accepted {
                    Some((pt, ps)) => (pt.max(q.wanted_tlp), ps.union(&secs).cloned().collect()),
                    None => (q.wanted_tlp, secs),
                });
            }
            let r = rec.get();
            let scope = SourceScope {
                report_id: r.id,
                number: number_of(r),
                tlp: rec.scope().tlp,
                sector: r.sector.clone(),
                accepted,
            };
            out.push(Source { rec, scope });
        }
        Ok(out)
    }

    /// Strings that identify the reporters of the sources (for the lint).
    pub(crate) async fn source_needles(
        &self,
        tx: &mut Tx,
        sources: &[Source],
    ) -> Result<BTreeSet<String>> {
        let mut values = Vec::new();
        for s in sources {
            let r = s.rec.get();
            let origin = tx.org(r.origin_org).await?;
            values.extend([origin.name_ja, origin.name_en, origin.code]);
            let user = tx.user(r.origin_user).await?;
            values.extend([user.name, user.email]);
            for v in r.versions.iter().filter(|v| !v.anonymized) {
                let c = &v.form.contact;
                values.extend([
                    c.organization.clone(),
                    c.person.clone(),
                    c.phone.clone(),
                    c.fax.clone(),
                    c.email.clone(),
                ]);
                values.extend(v.form.operator_name.clone());
            }
        }
        Ok(advisory::identifying_strings(&values))
    }
}

pub(crate) fn scopes(sources: &[Source]) -> Vec<SourceScope> {
    sources.iter().map(|s| s.scope.clone()).collect()
}
