//! The route of a report (図3) as rules: who may file, where a report may be sent and passed
//! on, who may anonymise it, who follows up and who may attach. Each `may_*` answers with the
//! permit the store's write requires, or with why not.
//!
//! The directory (`dir`) is whatever organisations the caller loaded as candidates — the sector
//! ministries, NISC, the sender's CEPTOARs; the rules pick from it.

use super::permit::{
    AttachPermit, Denied, DraftPermit, FilePermit, FirstSend, FollowUpPermit, ForwardPermit, Hop,
};
use super::{Actor, OrgFacts, OrgId, Visible};
use crate::codes::{ReportBasis, Role};
use crate::error::ErrorCode;
use crate::messages::{Msg, join_codes};
use crate::report::ReportForm;
use crate::report::thread::ReportRecord;

/// The organisation a user acts for; administrators without one may not touch reports.
fn acting(actor: &Actor) -> Result<&OrgFacts, Denied> {
    actor.org().ok_or(Denied::new(ErrorCode::Forbidden))
}

fn by_code(mut orgs: Vec<&OrgFacts>) -> Vec<&OrgFacts> {
    orgs.sort_by(|a, b| a.code.cmp(&b.code));
    orgs.dedup_by_key(|o| o.id);
    orgs
}

/// Sector ministries whose jurisdiction (reference data) includes `sector`.
fn ministries_of<'a>(dir: &'a [OrgFacts], sector: &str) -> Vec<&'a OrgFacts> {
    by_code(
        dir.iter()
            .filter(|o| o.has(Role::SectorMinistry) && o.jurisdiction.contains(sector))
            .collect(),
    )
}

fn nisc(dir: &[OrgFacts]) -> Vec<&OrgFacts> {
    by_code(dir.iter().filter(|o| o.has(Role::Nisc)).collect())
}

/// Who may file reports at all: operators, CEPTOARs and sector ministries (which may also
/// originate one, 図3).
pub fn may_file_at_all(org: &OrgFacts) -> bool {
    org.has(Role::Operator) || org.has(Role::Ceptoar) || org.has(Role::SectorMinistry)
}

/// Where `sender` may send a new report of `sector`: an operator to the sector's ministry, or
/// — unless reporting is mandated by law — to its own CEPTOAR; a CEPTOAR to the ministry; a
/// ministry to NISC.
pub fn send_targets<'a>(
    sender: &OrgFacts,
    sector: &str,
    legal: bool,
    dir: &'a [OrgFacts],
) -> Vec<&'a OrgFacts> {
    let mut out = Vec::new();
    if sender.has(Role::Operator) {
        out.extend(ministries_of(dir, sector));
        if !legal {
            out.extend(by_code(
                dir.iter()
                    .filter(|o| o.has(Role::Ceptoar) && sender.ceptoars.contains(&o.id))
                    .collect(),
            ));
        }
    } else if sender.has(Role::Ceptoar) {
        out.extend(ministries_of(dir, sector));
    } else if sender.has(Role::SectorMinistry) {
        out.extend(nisc(dir));
    }
    out
}

/// Where the holder of an edition may pass it on: a CEPTOAR to the ministry, a ministry to
/// NISC; NISC is the end of the route.
pub fn forward_targets<'a>(
    holder: &OrgFacts,
    sector: &str,
    dir: &'a [OrgFacts],
) -> Vec<&'a OrgFacts> {
    if holder.has(Role::Nisc) {
        Vec::new()
    } else if holder.has(Role::Ceptoar) {
        ministries_of(dir, sector)
    } else if holder.has(Role::SectorMinistry) {
        nisc(dir)
    } else {
        Vec::new()
    }
}

fn not_allowed(field: &str, allowed: &[&OrgFacts]) -> Denied {
    let codes: Vec<&str> = allowed.iter().map(|o| o.code.as_str()).collect();
    Denied::at(
        ErrorCode::RouteNotAllowed,
        field,
        Msg::new("route.allowed").arg("orgs", join_codes(&codes)),
    )
}

/// The hop from `from` of a thread started by `origin` to `to`.
fn hop(from: OrgId, origin: OrgId, to: &OrgFacts) -> Hop {
    Hop {
        to: to.id,
        // An operator's report to its own CEPTOAR stays on the reporter's side.
        release: !(from == origin && to.has(Role::Ceptoar)),
        end_of_route: to.has(Role::Nisc),
    }
}

/// The route of a first edition from `sender` to `to`, checked.
fn first_send(
    sender: &OrgFacts,
    form: &ReportForm,
    to: &OrgFacts,
    anonymize: bool,
    dir: &[OrgFacts],
    field: &str,
) -> Result<FirstSend, Denied> {
    let legal = form.basis == Some(ReportBasis::Legal);
    let targets = send_targets(sender, &form.sector, legal, dir);
    if !targets.iter().any(|t| t.id == to.id) {
        if legal && to.has(Role::Ceptoar) {
            return Err(Denied::at(
                ErrorCode::RouteNotAllowed,
                field,
                Msg::new("route.legal_direct"),
            ));
        }
        return Err(not_allowed(field, &targets));
    }
    let via_ceptoar = to.has(Role::Ceptoar);
    if anonymize && !via_ceptoar {
        return Err(Denied::at(
            ErrorCode::AnonymizeNotAllowed,
            "route.anonymize",
            Msg::new("route.anonymize_via_ceptoar"),
        ));
    }
    Ok(FirstSend {
        hop: hop(sender.id, sender.id, to),
        ceptoar: via_ceptoar.then_some(to.id),
        anonymize: anonymize && via_ceptoar,
    })
}

/// May `actor` file a new report with `form`, sent to `to` now (`submit`) or kept as a draft?
/// `named` are the organisations of `form.tlp_additions`, already looked up.
pub fn may_file(
    actor: &Actor,
    form: &ReportForm,
    to: Option<&OrgFacts>,
    anonymize: bool,
    submit: bool,
    named: Vec<OrgId>,
    dir: &[OrgFacts],
) -> Result<FilePermit, Denied> {
    let sender = acting(actor)?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    if !may_file_at_all(sender) {
        return Err(Denied::new(ErrorCode::Forbidden));
    }
    if form.number.as_deref().is_some_and(|n| !n.is_empty()) {
        return Err(Denied::at(
            ErrorCode::InvalidField,
            "form.number",
            Msg::new("route.number_on_first"),
        ));
    }
    if form.edition != 1 {
        return Err(Denied::at(
            ErrorCode::InvalidField,
            "form.edition",
            Msg::new("route.first_edition"),
        ));
    }
    let send = match (to, submit) {
        (Some(to), _) => Some(first_send(sender, form, to, anonymize, dir, "route.to")?),
        (None, true) => {
            return Err(Denied::at(
                ErrorCode::InvalidField,
                "route.to",
                Msg::new("route.to_required"),
            ));
        }
        (None, false) => None,
    };
    Ok(FilePermit {
        org: sender.id,
        user,
        send: send.filter(|_| submit),
        named,
    })
}

fn checked_form(rec: &ReportRecord, form: &ReportForm, widest: crate::Tlp) -> Result<(), Denied> {
    if form.sector != rec.sector {
        return Err(Denied::at(
            ErrorCode::SectorFixed,
            "form.sector",
            Msg::new("route.sector_fixed"),
        ));
    }
    if !form.tlp.within(widest) {
        return Err(Denied::at(
            ErrorCode::TlpWidened,
            "form.tlp",
            Msg::new("route.tlp_narrow_only"),
        ));
    }
    Ok(())
}

/// May `actor` pass on what waits at its organisation to `to`, optionally anonymised and/or
/// with a corrected `form`? The TLP may be narrowed, never widened; the sector is fixed.
pub fn may_forward(
    actor: &Actor,
    rec: &Visible<ReportRecord>,
    to: &OrgFacts,
    anonymize: Option<bool>,
    form: Option<&ReportForm>,
    dir: &[OrgFacts],
) -> Result<ForwardPermit, Denied> {
    let holder = acting(actor)?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let rec = rec.get();
    let Some(edition) = rec.pending_at(holder.id).first().copied() else {
        return Err(Denied::new(ErrorCode::NothingToForward));
    };
    let targets = forward_targets(holder, &rec.sector, dir);
    if !targets.iter().any(|t| t.id == to.id) {
        return Err(not_allowed("to", &targets));
    }
    let received = rec
        .received(holder.id, edition)
        .ok_or(Denied::new(ErrorCode::Internal))?;
    let version = rec
        .version(received.version)
        .ok_or(Denied::new(ErrorCode::Internal))?;
    let from_reporter = received.from == rec.origin_org && holder.has(Role::Ceptoar);
    let anonymize = match (anonymize, rec.anonymize_requested) {
        (_, true) if from_reporter => true,
        (Some(true), _) if !from_reporter => {
            return Err(Denied::at(
                ErrorCode::AnonymizeNotAllowed,
                "anonymize",
                Msg::new("route.anonymize_only_ceptoar"),
            ));
        }
        (a, _) => a.unwrap_or(false),
    };
    if let Some(form) = form {
        checked_form(rec, form, version.form.tlp)?;
    }
    Ok(ForwardPermit {
        report: rec.id,
        edition,
        org: holder.id,
        user,
        received: version.id,
        anonymize,
        hop: hop(holder.id, rec.origin_org, to),
    })
}

/// The hop a follow-up takes: to the route's first recipient.
fn follow_up_hop(rec: &ReportRecord, dir: &[OrgFacts]) -> Result<Hop, Denied> {
    let first = rec
        .first_hop()
        .ok_or(Denied::new(ErrorCode::FirstEditionNotSent))?;
    let to = dir
        .iter()
        .find(|o| o.id == first)
        .ok_or(Denied::new(ErrorCode::Internal))?;
    Ok(hop(rec.origin_org, rec.origin_org, to))
}

/// May `actor` add a follow-up (続報) with `form` to the thread, sent now (`submit`) or kept
/// as a draft? Only the originating organisation follows up; the TLP may only narrow.
pub fn may_follow_up(
    actor: &Actor,
    rec: &Visible<ReportRecord>,
    form: &ReportForm,
    submit: bool,
    dir: &[OrgFacts],
) -> Result<FollowUpPermit, Denied> {
    let org = acting(actor)?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let scope_tlp = rec.scope().tlp;
    let rec = rec.get();
    if rec.origin_org != org.id {
        return Err(Denied::new(ErrorCode::Forbidden));
    }
    if rec.draft_of(org.id).is_some() {
        return Err(Denied::new(ErrorCode::DraftExists));
    }
    let hop = follow_up_hop(rec, dir)?;
    checked_form(rec, form, scope_tlp)?;
    Ok(FollowUpPermit {
        report: rec.id,
        edition: rec.max_edition() + 1,
        org: org.id,
        user,
        hop: submit.then_some(hop),
    })
}

/// May `actor` replace the form of its organisation's draft with `form`?
pub fn may_edit_draft(
    actor: &Actor,
    rec: &Visible<ReportRecord>,
    form: &ReportForm,
) -> Result<DraftPermit, Denied> {
    let org = acting(actor)?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let scope_tlp = rec.scope().tlp;
    let rec = rec.get();
    let draft = rec
        .draft_of(org.id)
        .ok_or(Denied::new(ErrorCode::NoDraft))?;
    if form.sector != rec.sector {
        return Err(Denied::at(
            ErrorCode::SectorFixed,
            "form.sector",
            Msg::new("route.sector_fixed_draft"),
        ));
    }
    // A follow-up draft may not widen what earlier editions already set; a first edition is
    // not sent yet, so its scope is still the writer's to choose.
    if draft.edition > 1 {
        checked_form(rec, form, scope_tlp)?;
    }
    Ok(DraftPermit {
        report: rec.id,
        version: draft.id,
        edition: draft.edition,
        org: org.id,
        user,
        first: None,
        hop: None,
    })
}

/// May `actor` send its organisation's draft — the first edition to `to`, a follow-up to the
/// route's first recipient?
pub fn may_submit_draft(
    actor: &Actor,
    rec: &Visible<ReportRecord>,
    to: Option<&OrgFacts>,
    anonymize: bool,
    dir: &[OrgFacts],
) -> Result<DraftPermit, Denied> {
    let org = acting(actor)?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let rec = rec.get();
    let draft = rec
        .draft_of(org.id)
        .ok_or(Denied::new(ErrorCode::NoDraft))?;
    let (first, hop) = if draft.edition == 1 {
        let to = to.ok_or_else(|| {
            Denied::at(ErrorCode::InvalidField, "to", Msg::new("route.to_required"))
        })?;
        (
            Some(first_send(org, &draft.form, to, anonymize, dir, "to")?),
            None,
        )
    } else {
        (None, Some(follow_up_hop(rec, dir)?))
    };
    Ok(DraftPermit {
        report: rec.id,
        version: draft.id,
        edition: draft.edition,
        org: org.id,
        user,
        first,
        hop,
    })
}

/// Who may attach documents and samples: the originating organisation and every organisation
/// an edition was sent to.
pub fn may_attach(actor: &Actor, rec: &Visible<ReportRecord>) -> Result<AttachPermit, Denied> {
    let org = acting(actor)?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let rec = rec.get();
    if !can_attach(rec, org.id) {
        return Err(Denied::new(ErrorCode::Forbidden));
    }
    Ok(AttachPermit {
        report: rec.id,
        edition: rec.max_edition().max(1),
        org: org.id,
        user,
    })
}

fn can_attach(rec: &ReportRecord, org: OrgId) -> bool {
    rec.origin_org == org || rec.hops.iter().any(|h| h.to == org)
}

/// What the caller's organisation may do next with a thread (for the page's buttons).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions {
    /// The edition waiting at the caller's organisation to be passed on, if any.
    pub forward_edition: Option<u32>,
    pub forward_to: Vec<OrgId>,
    pub can_anonymize: bool,
    /// The reporter asked the CEPTOAR to anonymise: forwarding always anonymises.
    pub anonymize_required: bool,
    pub can_follow_up: bool,
    /// An unsent draft of the caller's organisation.
    pub draft_edition: Option<u32>,
    pub submit_to: Vec<OrgId>,
    pub can_attach: bool,
}

/// The same rules as the `may_*` functions, as what the page offers.
pub fn actions(actor: &Actor, rec: &Visible<ReportRecord>, dir: &[OrgFacts]) -> Actions {
    let Some(org) = actor.org() else {
        return Actions::default();
    };
    let rec = rec.get();
    let mut a = Actions::default();
    if let Some(ed) = rec.pending_at(org.id).first().copied() {
        a.forward_edition = Some(ed);
        a.forward_to = forward_targets(org, &rec.sector, dir)
            .into_iter()
            .map(|o| o.id)
            .collect();
        let from_reporter = rec
            .hops
            .iter()
            .any(|h| h.to == org.id && h.edition == ed && h.from == rec.origin_org);
        a.can_anonymize = from_reporter && org.has(Role::Ceptoar);
        a.anonymize_required = a.can_anonymize && rec.anonymize_requested;
    }
    if let Some(d) = rec.draft_of(org.id) {
        a.draft_edition = Some(d.edition);
        if d.edition == 1 {
            let legal = d.form.basis == Some(ReportBasis::Legal);
            a.submit_to = send_targets(org, &rec.sector, legal, dir)
                .into_iter()
                .map(|o| o.id)
                .collect();
        } else if let Some(first) = rec.first_hop() {
            a.submit_to = vec![first];
        }
    }
    a.can_follow_up =
        rec.origin_org == org.id && a.draft_edition.is_none() && rec.first_hop().is_some();
    a.can_attach = can_attach(rec, org.id);
    a
}

#[cfg(test)]
mod tests;
