//! The corpus generator of `kyoyu admin demo --generate N [--seed S]`: N report threads over
//! the demo world — every sector, event class, cause and TLP, every route (through a CEPTOAR,
//! anonymised or not, straight to the ministry, stopped on the way, drafts), follow-ups and
//! numbers — with Japanese texts from `data/corpus.toml`, the same for the same seed. Threads
//! are built as the use cases would leave them (the route rules decide releases and numbers)
//! and written in bulk; a few advisories are then filed through the use cases themselves.
//! Also the organisations of the large worlds the benchmark needs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use kyoyu_domain::advisory::{AdvisoryForm, NiscContact, Recipient};
use kyoyu_domain::policy::permit::may_import;
use kyoyu_domain::policy::{Actor, ItemKind, ItemScope, Relation};
use kyoyu_domain::report::thread::{HopRecord, ReportRecord, VersionRecord};
use kyoyu_domain::report::{Contact, ReportForm, Summary, TimelineEntry};
use kyoyu_domain::{
    AdvisoryBasis, Cause, EventClass, OrgId, Outlook, ReportId, Role, Severity, SystemStatus, Tlp,
    UserId, VersionId,
};
use kyoyu_store::{ImportOrg, OrgFilter, OrgRow};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

use kyoyu_domain::wareki::jst;

use crate::auth::hash_password;
use crate::{Core, CoreError, Result};

#[derive(Debug, Deserialize)]
struct Words {
    systems: Vec<String>,
    symptoms: Vec<String>,
    detections: Vec<String>,
    actions: Vec<String>,
    lessons: Vec<String>,
    descriptions: Vec<String>,
    contacts: Vec<String>,
    advisory_overviews: Vec<String>,
    advisory_countermeasures: Vec<String>,
}

fn words() -> Result<Words> {
    toml::from_str(include_str!("../data/corpus.toml"))
        .map_err(|e| CoreError::internal(format!("corpus data: {e}")))
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// What a generation made, and how fast.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generated {
    pub threads: usize,
    pub advisories: usize,
    /// Seconds spent writing the threads (the rate the benchmark reports).
    pub thread_seconds: f64,
}

/// The demo organisations of one sector.
struct SectorOrgs {
    code: String,
    ceptoar: OrgRow,
    operators: Vec<OrgRow>,
    ministry: OrgRow,
}

struct Demo {
    sectors: Vec<SectorOrgs>,
    nisc: OrgRow,
    users: BTreeMap<String, UserId>,
}

impl Core {
    async fn demo_orgs(&self) -> Result<Demo> {
        let reference = self.reference();
        let mut tx = self.store.read().await?;
        let orgs: BTreeMap<String, OrgRow> = tx
            .orgs(OrgFilter::All)
            .await?
            .into_iter()
            .map(|o| (o.code.clone(), o))
            .collect();
        let get = |code: &str| {
            orgs.get(code)
                .cloned()
                .ok_or_else(|| CoreError::internal(format!("demo organisation {code} is missing")))
        };
        let mut sectors = Vec::new();
        for s in &reference.sectors {
            sectors.push(SectorOrgs {
                code: s.code.clone(),
                ceptoar: get(&format!("ceptoar-{}", s.code))?,
                operators: vec![
                    get(&format!("op-{}-1", s.code))?,
                    get(&format!("op-{}-2", s.code))?,
                ],
                ministry: get(&s.ministry)?,
            });
        }
        let mut emails = Vec::new();
        for s in &sectors {
            for o in s.operators.iter().chain([&s.ceptoar, &s.ministry]) {
                emails.push(format!("{}-contact@demo.example", o.code));
            }
        }
        emails.push("nisc-contact@demo.example".into());
        let users = tx.user_ids_by_email(&emails).await?.into_iter().collect();
        Ok(Demo {
            sectors,
            nisc: get("nisc")?,
            users,
        })
    }

    /// Fills the demo world (created if missing) with `n` report threads and a few advisories,
    /// the same for the same `seed`.
    pub async fn generate(&self, n: usize, seed: u64) -> Result<Generated> {
        let permit = may_import(&Actor::System)?;
        crate::demo::ensure(self).await?;
        let demo = self.demo_orgs().await?;
        let w = words()?;
        let rng = StdRng::seed_from_u64(seed);
        let start = std::time::Instant::now();
        // Three years up to now, oldest first, so that newer ids are newer reports.
        let end = self.now();
        let backend = self.store.backend();
        let mut tx = self.store.begin().await?;
        let base = tx.import_base().await?;
        tx.commit().await?;
        // One thread builds the batches (texts, presentation, statements) while this task has
        // the database write the previous one: the two halves of the work overlap.
        let (send, mut receive) = tokio::sync::mpsc::channel(2);
        let producer = std::thread::spawn(move || {
            let (mut rng, w, demo) = (rng, w, demo);
            let outcome = produce(&mut rng, &w, &demo, n, end, backend, base, &send);
            (rng, w, demo, outcome)
        });
        while let Some(prepared) = receive.recv().await {
            let mut tx = self.store.begin().await?;
            tx.import_prepared(&permit, prepared).await?;
            tx.commit().await?;
        }
        let (mut rng, w, demo, outcome) = producer
            .join()
            .map_err(|_| CoreError::internal("the corpus generator stopped"))?;
        outcome?;
        self.store.refresh_statistics().await?;
        let thread_seconds = start.elapsed().as_secs_f64();
        let advisories = self.generate_advisories(&mut rng, &w, &demo, n).await?;
        let mut tx = self.store.begin().await?;
        self.audit(
            &mut tx,
            &Actor::System,
            "corpus_generated",
            "corpus",
            serde_json::json!({ "threads": n, "advisories": advisories, "seed": seed }),
        )
        .await?;
        tx.commit().await?;
        Ok(Generated {
            threads: n,
            advisories,
            thread_seconds,
        })
    }

    /// A few advisories through the use cases: published by NISC to a sector's ministry and
    /// passed on to its CEPTOAR and operators, some received and handled.
    async fn generate_advisories(
        &self,
        rng: &mut StdRng,
        w: &Words,
        demo: &Demo,
        threads: usize,
    ) -> Result<usize> {
        let count = (threads / 5000).clamp(3, 100);
        let nisc = self.system_session("nisc-contact@demo.example").await?;
        for i in 0..count {
            let s = &demo.sectors[i % demo.sectors.len()];
            let tlp = [Tlp::White, Tlp::Green, Tlp::Amber][i % 3];
            let form = AdvisoryForm {
                comment: None,
                edition: 1,
                number: None,
                provided_at: self.now().with_timezone(&jst()),
                recipients: vec![Recipient {
                    ministry: s.ministry.ministry.clone().unwrap_or_default(),
                    sectors: vec![s.code.clone()],
                }],
                severity: Some(*pick(rng, Severity::ALL)),
                tlp,
                tlp_note: String::new(),
                has_attachment: false,
                overview: pick(rng, &w.advisory_overviews).clone(),
                target: pick(rng, &w.systems).clone(),
                countermeasures: pick(rng, &w.advisory_countermeasures).clone(),
                other: String::new(),
                contact: NiscContact {
                    person: nisc.name.clone(),
                    phone: String::new(),
                    fax: String::new(),
                    email: nisc.email.clone(),
                },
                basis: Some(*pick(rng, AdvisoryBasis::ALL)),
                exercise: i % 10 == 9,
                events: Vec::new(),
                causes: Vec::new(),
            };
            let v = self.create_advisory(&nisc, form, &[]).await?;
            self.publish_advisory(&nisc, v.id, None).await?;
            let ministry = self
                .system_session(&format!("{}-contact@demo.example", s.ministry.code))
                .await?;
            let to: Vec<String> = self
                .get_advisory(&ministry.actor, v.id)
                .await?
                .actions
                .forward_to
                .into_iter()
                .map(|o| o.code)
                .collect();
            if !to.is_empty() {
                self.forward_advisory(&ministry, v.id, &to).await?;
            }
            self.acknowledge_advisory(&ministry, v.id, "received", "")
                .await?;
        }
        Ok(count)
    }

    /// A session for a known user without a password (the generator acts as its users).
    async fn system_session(&self, email: &str) -> Result<crate::Session> {
        let mut tx = self.store.read().await?;
        let user = tx
            .user_by_email(email)
            .await?
            .ok_or_else(|| CoreError::internal(format!("no user {email}")))?;
        let actor = self.actor_for(&mut tx, &user).await?;
        Ok(crate::Session {
            actor,
            user_id: user.id,
            email: user.email,
            name: user.name,
            org_id: user.org_id,
            is_admin: false,
            must_enrol_totp: false,
            totp_enabled: user.totp_enabled,
            is_contact: user.is_contact,
            token_id: 0,
            token_kind: kyoyu_store::TokenKind::Session,
            csrf: String::new(),
        })
    }

    /// Adds `count` operator organisations, spread over the sectors and members of their
    /// sector's CEPTOAR, each with `users_per_org` users (the first a sharing contact); the
    /// password is the demo one. For the benchmark's large worlds.
    pub async fn generate_operators(&self, count: usize, users_per_org: usize) -> Result<usize> {
        let permit = may_import(&Actor::System)?;
        crate::demo::ensure(self).await?;
        let demo = self.demo_orgs().await?;
        let hash = hash_password(crate::demo::DEMO_PASSWORD).await?;
        let at = self.now_ts();
        let mut done = 0;
        while done < count {
            let batch = (count - done).min(1000);
            let orgs: Vec<ImportOrg> = (done..done + batch)
                .map(|k| {
                    let s = &demo.sectors[k % demo.sectors.len()];
                    let code = format!("gen-op-{k}");
                    ImportOrg {
                        name_ja: format!("{}{k}", s.ceptoar.name_ja),
                        roles: vec![Role::Operator],
                        sectors: vec![s.code.clone()],
                        ceptoar: Some(s.ceptoar.id),
                        users: (0..users_per_org)
                            .map(|u| {
                                (
                                    format!("{code}-{u}@gen.example"),
                                    format!("{code} {u}"),
                                    u == 0,
                                )
                            })
                            .collect(),
                        code,
                    }
                })
                .collect();
            let mut tx = self.store.begin().await?;
            tx.import_orgs(&permit, &orgs, &hash, &at).await?;
            tx.commit().await?;
            done += batch;
        }
        self.store.refresh_statistics().await?;
        self.sessions.clear();
        Ok(count)
    }
}

/// Builds `n` threads in batches and prepares each for the store, sending them on `out`;
/// stops early when the receiver is gone (the writer failed).
#[allow(clippy::too_many_arguments)]
fn produce(
    rng: &mut StdRng,
    w: &Words,
    demo: &Demo,
    n: usize,
    end: DateTime<Utc>,
    backend: kyoyu_store::Backend,
    mut base: kyoyu_store::ImportBase,
    out: &tokio::sync::mpsc::Sender<kyoyu_store::PreparedReports>,
) -> Result<()> {
    let span = Duration::days(3 * 365);
    let mut done = 0usize;
    while done < n {
        let batch = (n - done).min(2000);
        let mut recs = Vec::with_capacity(batch);
        // Ids count from 1 within each batch; the base moves them past what exists.
        let (mut next_number, mut next_version, mut next_hop) = (1i64, 1i64, 1i64);
        for k in 0..batch {
            let idx = done + k;
            let at =
                end - span + Duration::seconds(span.num_seconds() * idx as i64 / n.max(1) as i64);
            recs.push(thread(
                rng,
                w,
                demo,
                ReportId(k as i64 + 1),
                at,
                &mut next_number,
                &mut next_version,
                &mut next_hop,
            ));
        }
        let prepared = kyoyu_store::prepare_reports(backend, &base, recs)?;
        base = base.advanced(
            batch as i64,
            next_version - 1,
            next_hop - 1,
            next_number - 1,
        );
        if out.blocking_send(prepared).is_err() {
            return Ok(());
        }
        done += batch;
    }
    Ok(())
}

fn ts(t: DateTime<Utc>) -> String {
    kyoyu_store::ts(t)
}

#[allow(clippy::too_many_arguments)]
fn thread(
    rng: &mut StdRng,
    w: &Words,
    demo: &Demo,
    id: ReportId,
    at: DateTime<Utc>,
    next_number: &mut i64,
    next_version: &mut i64,
    next_hop: &mut i64,
) -> ReportRecord {
    let s = &demo.sectors[rng.gen_range(0..demo.sectors.len())];
    let op = &s.operators[rng.gen_range(0..s.operators.len())];
    let user = |o: &OrgRow| {
        demo.users
            .get(&format!("{}-contact@demo.example", o.code))
            .copied()
            .unwrap_or_default()
    };
    let author = user(op);
    let tlp = match rng.gen_range(0..100) {
        0..20 => Tlp::White,
        20..55 => Tlp::Green,
        55..90 => Tlp::Amber,
        _ => Tlp::Red,
    };
    // The route: 0 via the CEPTOAR to NISC, 1 straight to the ministry and NISC, 2 waiting at
    // the CEPTOAR, 3 waiting at the ministry, 4 via the CEPTOAR waiting at the ministry,
    // 5 a draft.
    let route = match rng.gen_range(0..100) {
        0..40 => 0,
        40..70 => 1,
        70..80 => 2,
        80..90 => 3,
        90..95 => 4,
        _ => 5,
    };
    let via_ceptoar = matches!(route, 0 | 2 | 4);
    let anonymize = via_ceptoar && rng.gen_bool(0.5);
    let editions = if route <= 1 {
        match rng.gen_range(0..100) {
            0..70 => 1,
            70..92 => 2,
            _ => 3,
        }
    } else {
        1
    };
    let system = pick(rng, &w.systems).clone();
    let symptom = pick(rng, &w.symptoms).clone();
    let detection = pick(rng, &w.detections).clone();
    let event = if rng.gen_bool(0.9) {
        Some(*pick(rng, EventClass::ALL))
    } else {
        None
    };
    let mut causes: Vec<Cause> = Vec::new();
    for _ in 0..rng.gen_range(0..3) {
        let c = *pick(rng, Cause::ALL);
        if !causes.contains(&c) {
            causes.push(c);
        }
    }
    let exercise = rng.gen_bool(0.03);
    let local = |t: DateTime<Utc>| t.with_timezone(&jst());
    let mut versions = Vec::new();
    let mut hops = Vec::new();
    let mut number = None;
    let mut orgs: std::collections::BTreeSet<(OrgId, Relation)> = [(op.id, Relation::Route)].into();
    let mut shared = false;
    let mut updated = at;
    for ed in 1..=editions {
        let t0 = at + Duration::hours(i64::from(ed - 1) * 20);
        let outlook = if ed < editions {
            Some(if rng.gen_bool(0.5) {
                Outlook::Ongoing
            } else {
                Outlook::Investigating
            })
        } else {
            Some(*pick(rng, Outlook::ALL))
        };
        let action = pick(rng, &w.actions).as_str();
        let description = pick(rng, &w.descriptions)
            .replace("{detection}", &detection)
            .replace("{system}", &system)
            .replace("{symptom}", &symptom)
            .replace("{action}", action);
        let form = ReportForm {
            comment: None,
            edition: ed,
            number: None,
            reported_at: local(t0),
            contact: Contact {
                organization: op.name_ja.clone(),
                department: pick(rng, &w.contacts).clone(),
                person: format!("{} {}", op.code, "contact"),
                phone: format!(
                    "03-{:04}-{:04}",
                    rng.gen_range(0..10000),
                    rng.gen_range(0..10000)
                ),
                fax: String::new(),
                email: format!("{}-contact@demo.example", op.code),
            },
            severity: if rng.gen_bool(0.8) {
                Some(*pick(rng, Severity::ALL))
            } else {
                None
            },
            tlp,
            tlp_note: String::new(),
            tlp_additions: Vec::new(),
            event,
            causes: causes.clone(),
            has_attachment: false,
            sector: s.code.clone(),
            operator_name: Some(op.name_ja.clone()),
            summary: Some(Summary {
                occurred_at: Some(local(t0 - Duration::hours(3))),
                occurred_at_note: None,
                discovered_at: Some(local(t0 - Duration::hours(1))),
                affected_system: Some(system.clone()),
                description: Some(description),
            }),
            impact: Some(kyoyu_domain::report::Impact {
                sml_deviation: Some(rng.gen_bool(0.2)),
                system_status: Some(*pick(rng, SystemStatus::ALL)),
                spillover_possible: Some(rng.gen_bool(0.1)),
                note: None,
                ..Default::default()
            }),
            timeline: vec![TimelineEntry {
                at: local(t0 - Duration::minutes(30)),
                text: pick(rng, &w.actions).clone(),
            }],
            outlook,
            external: None,
            lessons: (ed == editions).then(|| pick(rng, &w.lessons).clone()),
            basis: None,
            exercise,
        };
        let draft = route == 5;
        let v1 = VersionId(*next_version);
        *next_version += 1;
        versions.push(VersionRecord {
            id: v1,
            edition: ed,
            version: 1,
            form: form.clone(),
            sent: !draft,
            released: false,
            anonymized: false,
            author_user: author,
            author_org: op.id,
            created_at: ts(t0),
            sent_at: (!draft).then(|| ts(t0)),
        });
        if draft {
            break;
        }
        let mut hop = |from: &OrgRow,
                       to: &OrgRow,
                       version: VersionId,
                       at: DateTime<Utc>,
                       forwarded: bool,
                       anonymized: bool| {
            hops.push(HopRecord {
                id: *next_hop,
                version,
                edition: ed,
                from: from.id,
                to: to.id,
                by_user: user(from),
                at: ts(at),
                anonymized,
                tlp,
                forwarded,
            });
            *next_hop += 1;
        };
        let mut passed = v1;
        let mut t = t0;
        if via_ceptoar {
            hop(op, &s.ceptoar, v1, t, route != 2, false);
            orgs.insert((s.ceptoar.id, Relation::Route));
            if route == 2 {
                updated = t;
                continue;
            }
            t += Duration::minutes(40);
            if anonymize {
                let identifying = vec![op.name_ja.clone(), op.name_en.clone(), op.code.clone()];
                let anon = form.anonymized(
                    &identifying,
                    Contact {
                        organization: s.ceptoar.name_ja.clone(),
                        person: format!("{} contact", s.ceptoar.code),
                        email: format!("{}-contact@demo.example", s.ceptoar.code),
                        ..Default::default()
                    },
                );
                let v2 = VersionId(*next_version);
                *next_version += 1;
                versions.push(VersionRecord {
                    id: v2,
                    edition: ed,
                    version: 2,
                    form: anon,
                    sent: true,
                    released: true,
                    anonymized: true,
                    author_user: user(&s.ceptoar),
                    author_org: s.ceptoar.id,
                    created_at: ts(t),
                    sent_at: Some(ts(t)),
                });
                passed = v2;
            }
            hop(&s.ceptoar, &s.ministry, passed, t, route != 4, anonymize);
        } else {
            hop(op, &s.ministry, v1, t, route != 3, false);
        }
        if let Some(v) = versions.iter_mut().find(|v| v.id == passed) {
            v.released = true;
        }
        shared = true;
        orgs.insert((s.ministry.id, Relation::Route));
        if matches!(route, 3 | 4) {
            updated = t;
            continue;
        }
        t += Duration::minutes(50);
        hop(&s.ministry, &demo.nisc, passed, t, true, false);
        orgs.insert((demo.nisc.id, Relation::Route));
        if number.is_none() {
            number = Some(*next_number);
            *next_number += 1;
        }
        updated = t;
    }
    ReportRecord {
        id,
        number,
        sector: s.code.clone(),
        origin_org: op.id,
        origin_user: author,
        ceptoar: via_ceptoar.then_some(s.ceptoar.id),
        anonymize_requested: anonymize,
        created_at: ts(at),
        updated_at: ts(updated),
        versions,
        hops,
        attachments: Vec::new(),
        scope: ItemScope {
            kind: ItemKind::Report,
            tlp,
            sectors: [s.code.clone()].into(),
            orgs,
            author: Some(author),
            shared,
        },
    }
}
