//! The deterministic demo world of API.md: NISC, the five sector ministries, one CEPTOAR and
//! two member operators per sector, NPA, JPCERT/CC, IPA, a vendor and an outsider, each with a
//! sharing contact and an ordinary member, plus an administrator. Creating it is idempotent.

use std::collections::BTreeSet;

use kyoyu_domain::policy::Actor;
use kyoyu_domain::{Email, Role};

use crate::admin::{NewOrgSpec, NewUserSpec};
use crate::auth::hash_password;
use crate::{Core, Result};

pub const DEMO_PASSWORD: &str = "kyoyu-demo-pass";
pub const ADMIN_EMAIL: &str = "admin@demo.example";

/// Every demo organisation, in creation order (CEPTOARs before their members).
pub fn organisations(core: &Core) -> Vec<NewOrgSpec> {
    let reference = core.reference();
    let mut orgs = Vec::new();
    let org = |code: &str, name: &str, en: &str, roles: &[Role]| NewOrgSpec {
        code: code.into(),
        name_ja: name.into(),
        name_en: en.into(),
        roles: roles.iter().copied().collect(),
        ..Default::default()
    };
    orgs.push(org(
        "nisc",
        "内閣サイバーセキュリティセンター",
        "NISC",
        &[Role::Nisc],
    ));
    for (code, name, en, extra) in [
        ("fsa", "金融庁", "Financial Services Agency", None),
        (
            "mic",
            "総務省",
            "Ministry of Internal Affairs and Communications",
            Some(Role::SecurityMinistry),
        ),
        (
            "mhlw",
            "厚生労働省",
            "Ministry of Health, Labour and Welfare",
            None,
        ),
        (
            "meti",
            "経済産業省",
            "Ministry of Economy, Trade and Industry",
            Some(Role::SecurityMinistry),
        ),
        (
            "mlit",
            "国土交通省",
            "Ministry of Land, Infrastructure, Transport and Tourism",
            None,
        ),
    ] {
        let mut o = org(code, name, en, &[Role::SectorMinistry]);
        o.roles.extend(extra);
        o.ministry = Some(code.into());
        orgs.push(o);
    }
    for sector in &reference.sectors {
        let sectors: BTreeSet<String> = [sector.code.clone()].into();
        let ceptoar = format!("ceptoar-{}", sector.code);
        let mut c = org(
            &ceptoar,
            &format!("{}セプター事務局（デモ）", sector.name_ja),
            &format!("{} CEPTOAR (demo)", sector.name_en),
            &[Role::Ceptoar],
        );
        c.sectors = sectors.clone();
        orgs.push(c);
        for n in 1..=2 {
            let mut o = org(
                &format!("op-{}-{n}", sector.code),
                &format!("{}デモ事業者{n}", sector.name_ja),
                &format!("{} demo operator {n}", sector.name_en),
                &[Role::Operator],
            );
            o.sectors = sectors.clone();
            o.ceptoars = [ceptoar.clone()].into();
            orgs.push(o);
        }
    }
    orgs.push(org(
        "npa",
        "警察庁",
        "National Police Agency",
        &[Role::IncidentResponseMinistry, Role::SecurityMinistry],
    ));
    orgs.push(org(
        "jpcert",
        "JPCERTコーディネーションセンター",
        "JPCERT/CC",
        &[Role::SecurityAgency],
    ));
    orgs.push(org(
        "ipa",
        "情報処理推進機構",
        "IPA",
        &[Role::SecurityAgency],
    ));
    orgs.push(org(
        "vendor-1",
        "デモベンダー株式会社",
        "Demo vendor",
        &[Role::CyberspaceVendor],
    ));
    orgs.push(org(
        "outsider",
        "関係のないデモ組織",
        "Unrelated demo organisation",
        &[],
    ));
    orgs
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
    for spec in organisations(core) {
        if !existing_orgs.contains(&spec.code) {
            core.create_org(&actor, &spec).await?;
            summary.orgs_created += 1;
        }
        for (kind, contact, label) in [("contact", true, "窓口担当"), ("member", false, "職員")]
        {
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
            name: "システム管理者（デモ）".into(),
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
