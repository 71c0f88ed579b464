//! The deterministic demo world of API.md: NISC, the five sector ministries, one CEPTOAR and
//! two member operators per sector, NPA, JPCERT/CC, IPA, a vendor and an outsider, each with a
//! sharing contact and an ordinary member, plus an administrator. Creating it is idempotent.

use std::collections::BTreeSet;

use kyoyu_domain::messages::fill;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::{Email, Role};
use serde::Deserialize;

use crate::admin::{NewOrgSpec, NewUserSpec};
use crate::auth::hash_password;
use crate::{Core, CoreError, Result};

pub const DEMO_PASSWORD: &str = "kyoyu-demo-pass";
pub const ADMIN_EMAIL: &str = "admin@demo.example";

#[derive(Debug, Deserialize)]
struct OrgEntry {
    code: String,
    name_ja: String,
    name_en: String,
    roles: Vec<Role>,
    #[serde(default)]
    ministry: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PerSector {
    ceptoar_ja: String,
    ceptoar_en: String,
    operator_ja: String,
    operator_en: String,
}

#[derive(Debug, Deserialize)]
struct UserWords {
    contact: String,
    member: String,
    admin: String,
}

#[derive(Debug, Deserialize)]
struct World {
    first: Vec<OrgEntry>,
    last: Vec<OrgEntry>,
    per_sector: PerSector,
    users: UserWords,
}

fn world() -> Result<World> {
    toml::from_str(include_str!("../data/demo_world.toml"))
        .map_err(|e| CoreError::internal(format!("demo world data: {e}")))
}

fn spec(e: &OrgEntry) -> NewOrgSpec {
    NewOrgSpec {
        code: e.code.clone(),
        name_ja: e.name_ja.clone(),
        name_en: e.name_en.clone(),
        roles: e.roles.iter().copied().collect(),
        ministry: e.ministry.clone(),
        ..Default::default()
    }
}

/// Every demo organisation, in creation order (CEPTOARs before their members).
pub fn organisations(core: &Core) -> Result<Vec<NewOrgSpec>> {
    let reference = core.reference();
    let w = world()?;
    let mut orgs: Vec<NewOrgSpec> = w.first.iter().map(spec).collect();
    for sector in &reference.sectors {
        let sectors: BTreeSet<String> = [sector.code.clone()].into();
        let ceptoar = format!("ceptoar-{}", sector.code);
        orgs.push(NewOrgSpec {
            code: ceptoar.clone(),
            name_ja: fill(&w.per_sector.ceptoar_ja, &[("sector", &sector.name_ja)]),
            name_en: fill(&w.per_sector.ceptoar_en, &[("sector", &sector.name_en)]),
            roles: [Role::Ceptoar].into(),
            sectors: sectors.clone(),
            ..Default::default()
        });
        for n in 1..=2 {
            let n = n.to_string();
            orgs.push(NewOrgSpec {
                code: format!("op-{}-{n}", sector.code),
                name_ja: fill(
                    &w.per_sector.operator_ja,
                    &[("sector", &sector.name_ja), ("n", &n)],
                ),
                name_en: fill(
                    &w.per_sector.operator_en,
                    &[("sector", &sector.name_en), ("n", &n)],
                ),
                roles: [Role::Operator].into(),
                sectors: sectors.clone(),
                ceptoars: [ceptoar.clone()].into(),
                ..Default::default()
            });
        }
    }
    orgs.extend(w.last.iter().map(spec));
    Ok(orgs)
}

/// What `ensure` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub orgs_created: usize,
    pub users_created: usize,
}

/// Creates whatever part of the demo world is missing.
pub async fn ensure(core: &Core) -> Result<DemoSummary> {
    let actor = Actor::System;
    let words = world()?.users;
    let mut summary = DemoSummary::default();
    let existing_orgs: BTreeSet<String> = core
        .store
        .read()
        .await?
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| o.code)
        .collect();
    let existing_users: BTreeSet<String> = core
        .store
        .read()
        .await?
        .list_users()
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    // One hash for every demo account: the password is public anyway, and hashing 107 times
    // would make every demo start (and every test) seconds slower.
    let hash = hash_password(DEMO_PASSWORD).await?;
    for spec in organisations(core)? {
        if !existing_orgs.contains(&spec.code) {
            core.create_org(&actor, &spec).await?;
            summary.orgs_created += 1;
        }
        for (kind, contact, label) in [
            ("contact", true, words.contact.as_str()),
            ("member", false, words.member.as_str()),
        ] {
            let email = format!("{}-{kind}@demo.example", spec.code);
            if existing_users.contains(&email) {
                continue;
            }
            let Ok(parsed) = Email::parse(&email) else {
                continue;
            };
            let user = NewUserSpec {
                email: email.clone(),
                name: format!("{} {label}", spec.name_ja),
                org: Some(spec.code.clone()),
                password: String::new(),
                is_contact: contact,
                is_admin: false,
            };
            core.insert_user(&actor, &user, &parsed, hash.clone())
                .await?;
            summary.users_created += 1;
        }
    }
    if !existing_users.contains(ADMIN_EMAIL)
        && let Ok(parsed) = Email::parse(ADMIN_EMAIL)
    {
        let admin = NewUserSpec {
            email: ADMIN_EMAIL.into(),
            name: words.admin.clone(),
            org: None,
            password: String::new(),
            is_contact: false,
            is_admin: true,
        };
        core.insert_user(&actor, &admin, &parsed, hash).await?;
        summary.users_created += 1;
    }
    Ok(summary)
}
