//! The flow of an advisory (図6) as rules: NISC drafts and publishes to the recipient ministries
//! within the scope its sources allow; ministries pass it on to CEPTOARs and operators and
//! CEPTOARs to their members, each only within the TLP; every recipient records receipt (受領)
//! and handling (対応); ministries in scope ask NISC questions; a source's sender decides a
//! scope-change request. Who sees which deliveries and inquiries is decided here too.

use std::collections::BTreeSet;

use super::permit::{
    AckPermit, AdvisoryPermit, DecisionPermit, DeliverPermit, Denied, InquiryPermit, PublishPermit,
};
use super::{Actor, OrgFacts, OrgId, UserActor, UserId, Visible, can_see};
use crate::advisory::record::{AdvisoryRecord, Delivery, Inquiry, RequestState, ScopeRequest};
use crate::advisory::{AdvisoryForm, Limit};
use crate::codes::Role;
use crate::error::ErrorCode;
use crate::messages::{Msg, join_codes};
use crate::report::thread::ReportRecord;

fn nisc(actor: &Actor) -> Result<(&OrgFacts, UserId), Denied> {
    let org = actor.org().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    if !org.has(Role::Nisc) {
        return Err(Denied::new(ErrorCode::Forbidden));
    }
    Ok((org, user))
}

/// Only NISC drafts advisories.
pub fn may_draft(actor: &Actor) -> Result<AdvisoryPermit, Denied> {
    let (org, user) = nisc(actor)?;
    Ok(AdvisoryPermit {
        advisory: None,
        org: org.id,
        user,
    })
}

/// NISC may edit a draft; a published advisory changes only by a follow-up.
pub fn may_edit(actor: &Actor, rec: &Visible<AdvisoryRecord>) -> Result<AdvisoryPermit, Denied> {
    let (org, user) = nisc(actor)?;
    if rec.get().published {
        return Err(Denied::new(ErrorCode::AlreadyPublished));
    }
    Ok(AdvisoryPermit {
        advisory: Some(rec.get().id),
        org: org.id,
        user,
    })
}

/// NISC may attach documents and samples (別紙) to an advisory, draft or published.
pub fn may_attach(actor: &Actor, rec: &Visible<AdvisoryRecord>) -> Result<AdvisoryPermit, Denied> {
    let (org, user) = nisc(actor)?;
    Ok(AdvisoryPermit {
        advisory: Some(rec.get().id),
        org: org.id,
        user,
    })
}

/// NISC may ask the limiting sources' senders to accept a wider scope — when there are any.
pub fn may_request_scope(
    actor: &Actor,
    rec: &Visible<AdvisoryRecord>,
    limits: &[Limit],
) -> Result<AdvisoryPermit, Denied> {
    let (org, user) = nisc(actor)?;
    if limits.is_empty() {
        return Err(Denied::new(ErrorCode::ScopeRequestNotNeeded));
    }
    Ok(AdvisoryPermit {
        advisory: Some(rec.get().id),
        org: org.id,
        user,
    })
}

/// To whom a scope-change request about `source` goes: the sender who chose its scope — for an
/// anonymised report the CEPTOAR, so that NISC never learns the reporter.
pub fn scope_request_addressee(source: &Visible<ReportRecord>) -> OrgId {
    let r = source.get();
    match (r.anonymized(), r.ceptoar) {
        (true, Some(c)) => c,
        _ => r.origin_org,
    }
}

/// The sector ministries among `dir` that the form names as recipients.
pub fn recipient_ministries<'a>(form: &AdvisoryForm, dir: &'a [OrgFacts]) -> Vec<&'a OrgFacts> {
    let wanted = form.ministries();
    let mut out: Vec<&OrgFacts> = dir
        .iter()
        .filter(|o| {
            o.has(Role::SectorMinistry) && o.ministry.as_deref().is_some_and(|m| wanted.contains(m))
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup_by_key(|o| o.id);
    out
}

fn publishable(
    limits: &[Limit],
    lint_hits: usize,
    override_reason: Option<&str>,
) -> Result<Option<String>, Denied> {
    if !limits.is_empty() {
        let list: Vec<String> = limits
            .iter()
            .map(|x| {
                Msg::new("advisory.limit_item")
                    .arg("number", &x.number)
                    .arg("reason", &x.reason)
                    .ja()
            })
            .collect();
        return Err(Denied::because(
            ErrorCode::ScopeCeilingExceeded,
            Msg::new("advisory.ceiling_exceeded").arg("sources", join_codes(&list)),
        ));
    }
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    match (lint_hits, reason) {
        (0, _) => Ok(None),
        (n, None) => Err(Denied::because(
            ErrorCode::SourceLintHits,
            Msg::new("advisory.lint_hits_refused").arg("n", n),
        )),
        (_, Some(r)) => Ok(Some(r.to_owned())),
    }
}

/// May NISC publish the draft? Only within the ceiling its sources allow (`limits` empty) and
/// with no lint hit unless overridden with a written reason. It goes to the form's recipient
/// ministries among `dir`.
pub fn may_publish(
    actor: &Actor,
    rec: &Visible<AdvisoryRecord>,
    limits: &[Limit],
    lint_hits: usize,
    override_reason: Option<&str>,
    dir: &[OrgFacts],
) -> Result<PublishPermit, Denied> {
    let (org, user) = nisc(actor)?;
    let r = rec.get();
    if r.published {
        return Err(Denied::new(ErrorCode::AlreadyPublished));
    }
    let form = &r.current().ok_or(Denied::new(ErrorCode::Internal))?.form;
    let lint_override = publishable(limits, lint_hits, override_reason)?;
    Ok(PublishPermit {
        advisory: r.id,
        edition: 1,
        org: org.id,
        user,
        to: recipient_ministries(form, dir)
            .into_iter()
            .map(|o| o.id)
            .collect(),
        lint_override,
    })
}

/// May NISC publish `form` as a follow-up edition (続報)? Checked like a publication; the TLP
/// may only narrow. It goes again to everyone who had it, and to any new recipient ministry.
pub fn may_publish_follow_up(
    actor: &Actor,
    rec: &Visible<AdvisoryRecord>,
    form: &AdvisoryForm,
    limits: &[Limit],
    lint_hits: usize,
    override_reason: Option<&str>,
    dir: &[OrgFacts],
) -> Result<PublishPermit, Denied> {
    let (org, user) = nisc(actor)?;
    let r = rec.get();
    if !r.published {
        return Err(Denied::new(ErrorCode::NotPublished));
    }
    if !form.tlp.within(rec.scope().tlp) {
        return Err(Denied::at(
            ErrorCode::TlpWidened,
            "form.tlp",
            Msg::new("advisory.tlp_narrow_only"),
        ));
    }
    let lint_override = publishable(limits, lint_hits, override_reason)?;
    Ok(PublishPermit {
        advisory: r.id,
        edition: r.latest_edition() + 1,
        org: org.id,
        user,
        to: recipient_ministries(form, dir)
            .into_iter()
            .filter(|o| r.delivery_to(o.id).is_none())
            .map(|o| o.id)
            .collect(),
        lint_override,
    })
}

/// Whether a sharing contact of `org` (not the item's author) may see the advisory.
fn contact_of_may_see(org: &OrgFacts, rec: &Visible<AdvisoryRecord>) -> bool {
    let contact = Actor::User(UserActor {
        user_id: UserId(i64::MIN),
        org: Some(org.clone()),
        is_contact: true,
        is_admin: false,
    });
    can_see(&contact, rec.scope())
}

/// Organisations in `pool` that `holder` may pass the advisory on to: a ministry to the
/// CEPTOARs and operators of the recipient sectors in its jurisdiction, a CEPTOAR to its
/// members — not yet delivered, and only those whose sharing contacts the TLP admits.
pub fn forward_candidates<'a>(
    holder: &OrgFacts,
    rec: &Visible<AdvisoryRecord>,
    pool: &'a [OrgFacts],
) -> Vec<&'a OrgFacts> {
    let r = rec.get();
    if !r.published || r.delivery_to(holder.id).is_none() {
        return Vec::new();
    }
    let sectors = r.current().map(|e| e.form.sectors()).unwrap_or_default();
    let mut out: Vec<&OrgFacts> = if holder.has(Role::SectorMinistry) {
        let relevant: BTreeSet<&String> = sectors
            .iter()
            .filter(|s| holder.jurisdiction.contains(*s))
            .collect();
        pool.iter()
            .filter(|o| {
                (o.has(Role::Ceptoar) || o.has(Role::Operator))
                    && o.sectors.iter().any(|s| relevant.contains(s))
            })
            .collect()
    } else if holder.has(Role::Ceptoar) {
        pool.iter()
            .filter(|o| o.ceptoars.contains(&holder.id))
            .collect()
    } else {
        Vec::new()
    };
    out.retain(|o| r.delivery_to(o.id).is_none() && contact_of_may_see(o, rec));
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup_by_key(|o| o.id);
    out
}

/// May `actor` pass the advisory on to `to` (looked up from the codes given)?
pub fn may_deliver(
    actor: &Actor,
    rec: &Visible<AdvisoryRecord>,
    to: &[&OrgFacts],
    pool: &[OrgFacts],
) -> Result<DeliverPermit, Denied> {
    let holder = actor.org().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    if to.is_empty() {
        return Err(Denied::at(
            ErrorCode::InvalidField,
            "to",
            Msg::new("advisory.forward_to_required"),
        ));
    }
    let allowed: BTreeSet<OrgId> = forward_candidates(holder, rec, pool)
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut ids = Vec::new();
    for (i, o) in to.iter().enumerate() {
        if !allowed.contains(&o.id) {
            return Err(Denied::at(
                ErrorCode::InvalidField,
                format!("to[{i}]"),
                Msg::new("advisory.forward_outside").arg("code", &o.code),
            ));
        }
        if !ids.contains(&o.id) {
            ids.push(o.id);
        }
    }
    Ok(DeliverPermit {
        advisory: rec.get().id,
        from: holder.id,
        user,
        to: ids,
    })
}

/// May `actor` record receipt or handling? Only an organisation it was delivered to.
pub fn may_acknowledge(actor: &Actor, rec: &Visible<AdvisoryRecord>) -> Result<AckPermit, Denied> {
    let org = actor.org().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    if rec.get().delivery_to(org.id).is_none() {
        return Err(Denied::new(ErrorCode::NotDelivered));
    }
    Ok(AckPermit {
        advisory: rec.get().id,
        org: org.id,
        user,
    })
}

/// May `actor` write in an inquiry thread? A ministry it was delivered to asks NISC about a
/// published advisory (its own thread); NISC answers in the thread of `ministry`.
pub fn may_inquire(
    actor: &Actor,
    rec: &Visible<AdvisoryRecord>,
    ministry: Option<&OrgFacts>,
) -> Result<InquiryPermit, Denied> {
    let org = actor.org().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::Forbidden))?;
    let r = rec.get();
    let thread = if org.has(Role::Nisc) {
        ministry
            .ok_or_else(|| {
                Denied::at(
                    ErrorCode::InvalidField,
                    "ministry",
                    Msg::new("advisory.answer_to_required"),
                )
            })?
            .id
    } else {
        let in_scope = org.has(Role::SectorMinistry) && r.delivery_to(org.id).is_some();
        if !in_scope || !r.published {
            return Err(Denied::new(ErrorCode::Forbidden));
        }
        org.id
    };
    Ok(InquiryPermit {
        advisory: r.id,
        ministry: thread,
        org: org.id,
        user,
    })
}

/// Whether `actor` may ask NISC questions about the advisory (for the page's form).
pub fn can_inquire(actor: &Actor, rec: &Visible<AdvisoryRecord>) -> bool {
    let r = rec.get();
    r.published
        && (actor.has_role(Role::Nisc)
            || (actor.has_role(Role::SectorMinistry)
                && actor.org_id().is_some_and(|o| r.delivery_to(o).is_some())))
}

/// Only NISC sees an advisory's sources, their ceiling, the requests and the lint.
pub fn sees_sources(actor: &Actor) -> bool {
    actor.has_role(Role::Nisc)
}

/// Which deliveries an actor sees: NISC every one; others their own and those they made.
/// The rule itself, which [`visible_deliveries`] applies and the store's statistics push into
/// SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub all: bool,
    pub org: Option<OrgId>,
}

impl DeliveryFilter {
    pub fn of(actor: &Actor) -> DeliveryFilter {
        DeliveryFilter {
            all: actor.has_role(Role::Nisc),
            org: actor.org_id(),
        }
    }

    pub fn admits(&self, d: &Delivery) -> bool {
        self.all || Some(d.org) == self.org || Some(d.from) == self.org
    }
}

/// The deliveries `actor` sees of an advisory it may see.
pub fn visible_deliveries<'a>(
    actor: &Actor,
    rec: &'a Visible<AdvisoryRecord>,
) -> Vec<&'a Delivery> {
    let f = DeliveryFilter::of(actor);
    rec.get()
        .deliveries
        .iter()
        .filter(|d| f.admits(d))
        .collect()
}

/// The deliveries a drill report shows `actor`: NISC every one, a forwarder those it made;
/// `Forbidden` for anyone who passed nothing on.
pub fn drill_deliveries<'a>(
    actor: &Actor,
    rec: &'a Visible<AdvisoryRecord>,
) -> Result<Vec<&'a Delivery>, Denied> {
    let nisc = actor.has_role(Role::Nisc);
    let me = actor.org_id();
    let rows: Vec<&Delivery> = rec
        .get()
        .deliveries
        .iter()
        .filter(|d| nisc || Some(d.from) == me)
        .collect();
    if rows.is_empty() && !nisc {
        return Err(Denied::new(ErrorCode::Forbidden));
    }
    Ok(rows)
}

/// The inquiry threads `actor` sees: NISC every one, a ministry its own.
pub fn visible_inquiries<'a>(actor: &Actor, rec: &'a Visible<AdvisoryRecord>) -> Vec<&'a Inquiry> {
    let nisc = actor.has_role(Role::Nisc);
    let me = actor.org_id();
    rec.get()
        .inquiries
        .iter()
        .filter(|q| nisc || Some(q.ministry) == me)
        .collect()
}

/// May `actor` answer `request`? A sharing contact of the addressed organisation, once. To
/// anyone else the request does not exist.
pub fn may_decide(actor: &Actor, request: &ScopeRequest) -> Result<DecisionPermit, Denied> {
    let org = actor.org().ok_or(Denied::new(ErrorCode::NotFound))?;
    let user = actor.user_id().ok_or(Denied::new(ErrorCode::NotFound))?;
    if request.to_org != org.id {
        return Err(Denied::new(ErrorCode::NotFound));
    }
    if !actor.is_contact() {
        return Err(Denied::new(ErrorCode::Forbidden));
    }
    if request.state != RequestState::Pending {
        return Err(Denied::new(ErrorCode::AlreadyDecided));
    }
    Ok(DecisionPermit {
        request: request.id,
        user,
    })
}

/// Whether `actor` sees a scope-change request: the addressed organisation (the one
/// deliberate disclosure outside `can_see`: the wanted scope, the reason and the draft's
/// overview, so that the source can judge what it consents to) and NISC.
pub fn sees_request(actor: &Actor, request: &ScopeRequest) -> bool {
    actor.has_role(Role::Nisc) || actor.org_id() == Some(request.to_org)
}

#[cfg(test)]
mod tests;
