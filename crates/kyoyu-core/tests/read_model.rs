//! The read model, on SQLite and PostgreSQL:
//!
//! - a property test that builds random threads through the use cases (filing by every route,
//!   anonymisation, corrections, follow-ups, drafts, attachments, advisories) and checks that
//!   every list — with filters, inbox boxes, follow-ups, cursor paging — answers each kind of
//!   actor exactly what the policy and `present` say (computed here from the whole threads,
//!   not from the read model), and that the maintained read model equals a rebuild;
//! - the plans of the list queries: an index read in the list's order, no sort of the matches,
//!   no scan of a whole table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kyoyu_core::reports::{InboxBox, ReportFilter};
use kyoyu_core::{Core, CoreConfig, Session, SystemClock, demo};
use kyoyu_domain::policy::view::watches_follow_up;
use kyoyu_domain::policy::{Actor, can_see, report_view};
use kyoyu_domain::report::ReportForm;
use kyoyu_domain::report::thread::{ReportRecord, present};
use kyoyu_domain::{Cause, EventClass, Outlook, ReportId, Severity, Tlp};
use kyoyu_store::test_hooks::ListQuery;
use kyoyu_store::{AdvisoryListQuery, ReportBox, ReportListQuery, TokenKind};
use kyoyu_test_support::{TestDb, fixture_form};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SECTORS: [(&str, &str); 2] = [("finance", "fsa"), ("electricity", "meti")];
const WORDS: [&str; 4] = ["ランサムウェア", "改ざん", "phishing", "停止"];

/// Who reads in the checks: every kind of organisation, contacts and members, and nobody.
const READERS: [&str; 12] = [
    "op-finance-1-contact",
    "op-finance-1-member",
    "op-finance-2-contact",
    "op-electricity-1-contact",
    "ceptoar-finance-contact",
    "ceptoar-finance-member",
    "fsa-contact",
    "fsa-member",
    "meti-contact",
    "nisc-contact",
    "vendor-1-contact",
    "outsider-contact",
];

#[derive(Debug, Clone, Copy)]
enum Via {
    Ministry,
    Ceptoar,
    CeptoarAnonymised,
    Draft,
}

#[derive(Debug, Clone)]
enum Op {
    File {
        sector: usize,
        operator: usize,
        tlp: Tlp,
        severity: Option<Severity>,
        event: Option<EventClass>,
        causes: Vec<Cause>,
        via: Via,
        outlook: Option<Outlook>,
        exercise: bool,
        word: usize,
    },
    Forward {
        thread: usize,
        narrow: bool,
    },
    FollowUp {
        thread: usize,
        submit: bool,
        /// What the follow-up now names as causes (an investigation changes them), if anything.
        causes: Option<Vec<Cause>>,
        outlook: Option<Outlook>,
    },
    SubmitDraft {
        thread: usize,
    },
    Attach {
        thread: usize,
    },
}

/// The causes the generated forms name.
const CAUSES: [Cause; 4] = [
    Cause::Vulnerability,
    Cause::SuspiciousEmail,
    Cause::Dos,
    Cause::Unknown,
];

fn op() -> impl Strategy<Value = Op> {
    let file = (
        0..2usize,
        1..3usize,
        proptest::sample::select(Tlp::ALL),
        proptest::option::of(proptest::sample::select(Severity::ALL)),
        proptest::option::of(proptest::sample::select(EventClass::ALL)),
        proptest::sample::subsequence(CAUSES.to_vec(), 0..3),
        prop_oneof![
            Just(Via::Ministry),
            Just(Via::Ceptoar),
            Just(Via::CeptoarAnonymised),
            Just(Via::Draft)
        ],
        proptest::option::of(proptest::sample::select(Outlook::ALL)),
        proptest::bool::weighted(0.2),
        0..WORDS.len(),
    )
        .prop_map(
            |(sector, operator, tlp, severity, event, causes, via, outlook, exercise, word)| {
                Op::File {
                    sector,
                    operator,
                    tlp,
                    severity,
                    event,
                    causes,
                    via,
                    outlook,
                    exercise,
                    word,
                }
            },
        );
    prop_oneof![
        4 => file,
        4 => (any::<usize>(), proptest::bool::weighted(0.3))
            .prop_map(|(thread, narrow)| Op::Forward { thread, narrow }),
        2 => (
            any::<usize>(),
            any::<bool>(),
            proptest::option::of(proptest::sample::subsequence(CAUSES.to_vec(), 0..3)),
            proptest::option::of(proptest::sample::select(Outlook::ALL)),
        )
            .prop_map(|(thread, submit, causes, outlook)| Op::FollowUp {
                thread,
                submit,
                causes,
                outlook,
            }),
        1 => any::<usize>().prop_map(|thread| Op::SubmitDraft { thread }),
        1 => any::<usize>().prop_map(|thread| Op::Attach { thread }),
    ]
}

struct World {
    core: Core,
    db: TestDb,
    sessions: BTreeMap<String, Session>,
    threads: Vec<ReportId>,
}

impl World {
    async fn new(db: TestDb) -> World {
        let core = Core::new(
            db.store.clone(),
            Arc::new(SystemClock),
            CoreConfig::default(),
        )
        .await
        .unwrap();
        demo::ensure(&core).await.unwrap();
        let mut sessions = BTreeMap::new();
        let mut who: Vec<String> = READERS.iter().map(|s| s.to_string()).collect();
        for (s, m) in SECTORS {
            who.extend([
                format!("op-{s}-1-contact"),
                format!("op-{s}-2-contact"),
                format!("ceptoar-{s}-contact"),
                format!("{m}-contact"),
            ]);
        }
        for w in who {
            if sessions.contains_key(&w) {
                continue;
            }
            let out = core
                .login(
                    &format!("{w}@demo.example"),
                    demo::DEMO_PASSWORD,
                    None,
                    TokenKind::Session,
                )
                .await
                .unwrap();
            sessions.insert(w, core.authenticate(&out.token).await.unwrap());
        }
        World {
            core,
            db,
            sessions,
            threads: Vec::new(),
        }
    }

    fn s(&self, who: &str) -> &Session {
        &self.sessions[who]
    }

    async fn apply(&mut self, op: &Op) {
        match op {
            Op::File {
                sector,
                operator,
                tlp,
                severity,
                event,
                causes,
                via,
                outlook,
                exercise,
                word,
            } => {
                let (sector, ministry) = SECTORS[*sector];
                let who = format!("op-{sector}-{operator}-contact");
                let mut form: ReportForm = serde_json::from_value(fixture_form()).unwrap();
                form.sector = sector.into();
                form.tlp = *tlp;
                form.severity = *severity;
                form.event = *event;
                form.causes = causes.clone();
                form.outlook = *outlook;
                form.exercise = *exercise;
                form.basis = None;
                form.operator_name = Some(format!("{sector}事業者{operator}"));
                if let Some(s) = form.summary.as_mut() {
                    s.description = Some(format!("・{}を検知した。", WORDS[*word]));
                }
                let ceptoar = format!("ceptoar-{sector}");
                let (to, anonymize, submit) = match via {
                    Via::Ministry => (Some(ministry), false, true),
                    Via::Ceptoar => (Some(ceptoar.as_str()), false, true),
                    Via::CeptoarAnonymised => (Some(ceptoar.as_str()), true, true),
                    Via::Draft => (None, false, false),
                };
                let t = self
                    .core
                    .create_report(self.s(&who), form, to, anonymize, submit)
                    .await
                    .unwrap();
                self.threads.push(t.id);
            }
            Op::Forward { thread, narrow } => {
                let Some(id) = self.pick(*thread) else { return };
                for (sector, ministry) in SECTORS {
                    for (holder, to) in [
                        (format!("ceptoar-{sector}-contact"), ministry.to_owned()),
                        (format!("{ministry}-contact"), "nisc".to_owned()),
                    ] {
                        let s = self.s(&holder);
                        let corrected = match self.core.get_report(&s.actor, id).await {
                            Ok(t) if *narrow && t.actions.forward_edition.is_some() => {
                                t.current().map(|v| {
                                    let mut f = v.form.clone();
                                    f.tlp = Tlp::Red;
                                    f
                                })
                            }
                            _ => None,
                        };
                        let _ = self.core.forward_report(s, id, &to, None, corrected).await;
                    }
                }
            }
            Op::FollowUp {
                thread,
                submit,
                causes,
                outlook,
            } => {
                let Some(id) = self.pick(*thread) else { return };
                for who in self.origin_contacts() {
                    let s = self.s(&who);
                    let Ok(t) = self.core.get_report(&s.actor, id).await else {
                        continue;
                    };
                    let Some(v) = t.current() else { continue };
                    if !t.actions.can_follow_up {
                        continue;
                    }
                    let mut f = v.form.clone();
                    f.outlook = *outlook;
                    if let Some(c) = causes {
                        f.causes = c.clone();
                    }
                    let _ = self.core.file_follow_up(s, id, f, *submit).await;
                }
            }
            Op::SubmitDraft { thread } => {
                let Some(id) = self.pick(*thread) else { return };
                for who in self.origin_contacts() {
                    let s = self.s(&who);
                    let Ok(t) = self.core.get_report(&s.actor, id).await else {
                        continue;
                    };
                    if let Some(to) = t.actions.submit_to.first() {
                        let _ = self.core.submit_draft(s, id, Some(&to.code), false).await;
                    }
                }
            }
            Op::Attach { thread } => {
                let Some(id) = self.pick(*thread) else { return };
                for who in self.origin_contacts() {
                    let upload = kyoyu_core::reports::Upload {
                        kind: "document",
                        file_name: "報道発表.pdf",
                        content_type: "application/pdf",
                        bytes: b"%PDF-1.4 test",
                    };
                    let _ = self.core.add_attachment(self.s(&who), id, upload).await;
                }
            }
        }
    }

    fn pick(&self, n: usize) -> Option<ReportId> {
        (!self.threads.is_empty()).then(|| self.threads[n % self.threads.len()])
    }

    fn origin_contacts(&self) -> Vec<String> {
        SECTORS
            .iter()
            .flat_map(|(s, _)| [format!("op-{s}-1-contact"), format!("op-{s}-2-contact")])
            .collect()
    }

    async fn records(&self) -> Vec<ReportRecord> {
        let mut tx = self.db.store.read().await.unwrap();
        let mut out = Vec::new();
        for id in &self.threads {
            out.push(
                tx.scoped(&Actor::System)
                    .report(*id)
                    .await
                    .unwrap()
                    .into_inner(),
            );
        }
        out
    }
}

/// One line of a list as compared: id, number, edition, state, TLP, originator.
type Line = (i64, Option<String>, u32, String, Tlp, String);

#[derive(Debug, Clone)]
enum Query {
    Reports(ReportFilter),
    Inbox(InboxBox),
    FollowUps,
}

fn queries() -> Vec<Query> {
    let mut out = vec![
        Query::Reports(ReportFilter::default()),
        Query::Reports(ReportFilter {
            severity: Some(Severity::Alert),
            ..Default::default()
        }),
        Query::Reports(ReportFilter {
            cause: Some(Cause::Vulnerability),
            ..Default::default()
        }),
        Query::Reports(ReportFilter {
            event: Some(EventClass::Intrusion),
            ..Default::default()
        }),
        Query::Reports(ReportFilter {
            tlp: Some(Tlp::Amber),
            ..Default::default()
        }),
        Query::Reports(ReportFilter {
            sector: Some("finance".into()),
            ..Default::default()
        }),
        Query::Reports(ReportFilter {
            q: Some(WORDS[0].into()),
            ..Default::default()
        }),
        // A word anonymisation removes: only the reporter's side may find it by it.
        Query::Reports(ReportFilter {
            q: Some("finance事業者1".into()),
            ..Default::default()
        }),
        Query::FollowUps,
    ];
    out.extend(
        [
            InboxBox::ToForward,
            InboxBox::Received,
            InboxBox::Sent,
            InboxBox::Drafts,
        ]
        .map(Query::Inbox),
    );
    out
}

/// What the list should be, from the whole threads and the policy.
fn expected(actor: &Actor, recs: &[ReportRecord], q: &Query) -> Vec<Line> {
    let mut lines: Vec<(String, Line)> = Vec::new();
    for rec in recs {
        if !can_see(actor, &rec.scope) {
            continue;
        }
        let view = report_view(actor, &rec.facts());
        let p = present(view, rec);
        let Some(s) = p.summary() else { continue };
        let keep = match q {
            Query::Reports(f) => {
                f.tlp.is_none_or(|t| s.tlp == t)
                    && f.severity.is_none_or(|x| s.severity == Some(x))
                    && f.event.is_none_or(|x| s.event == Some(x))
                    && f.cause.is_none_or(|x| s.causes.contains(&x))
                    && f.sector.as_ref().is_none_or(|x| &s.sector == x)
                    && f.q.as_ref().is_none_or(|x| {
                        // The query's own meaning in Rust, over the view's text.
                        let query = kyoyu_domain::search::Query::parse(x).unwrap().unwrap();
                        let body = kyoyu_domain::search::body::report_body(&p);
                        query.matches(&kyoyu_domain::search::fold(&body), s.number.as_deref())
                    })
            }
            Query::Inbox(b) => {
                let Some(org) = actor.org_id() else { continue };
                match b {
                    InboxBox::ToForward => rec.hops.iter().any(|h| h.to == org && !h.forwarded),
                    InboxBox::Received => rec.hops.iter().any(|h| h.to == org),
                    InboxBox::Sent => rec.hops.iter().any(|h| h.from == org),
                    InboxBox::Drafts => rec.versions.iter().any(|v| !v.sent && v.author_org == org),
                }
            }
            Query::FollowUps => {
                actor.org_id().is_some()
                    && s.follow_up_expected
                    && watches_follow_up(actor, view, &s.sector, s.number.is_some())
            }
        };
        if !keep {
            continue;
        }
        let sort = match q {
            Query::FollowUps => format!(
                "{}|{:020}",
                s.waiting_since.clone().unwrap_or_default(),
                rec.id.0 * 4
            ),
            _ => format!("{:020}", i64::MAX - rec.id.0),
        };
        lines.push((
            sort,
            (
                rec.id.0,
                s.number.clone(),
                s.edition,
                s.state.code().to_owned(),
                s.tlp,
                String::new(),
            ),
        ));
    }
    lines.sort();
    lines.into_iter().map(|(_, l)| l).collect()
}

/// What the list is, paged through with small pages to exercise the cursor.
async fn actual(w: &World, who: Option<&str>, q: &Query) -> Vec<Line> {
    let actor = who.map_or(Actor::Anonymous, |w2| w.s(w2).actor.clone());
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = match q {
            Query::Reports(f) => {
                let mut f = f.clone();
                f.limit = Some(7);
                f.cursor = cursor.as_deref().map(|c| ReportId(c.parse().unwrap()));
                w.core.list_reports(&actor, &f).await.unwrap()
            }
            Query::Inbox(b) => {
                let Some(who) = who else { return Vec::new() };
                w.core
                    .inbox(
                        w.s(who),
                        *b,
                        cursor.as_deref().map(|c| ReportId(c.parse().unwrap())),
                        Some(7),
                    )
                    .await
                    .unwrap()
            }
            Query::FollowUps => {
                let Some(who) = who else { return Vec::new() };
                w.core
                    .follow_ups(w.s(who), cursor.as_deref(), Some(7))
                    .await
                    .unwrap()
            }
        };
        let page = std::sync::Arc::unwrap_or_clone(page);
        out.extend(
            page.items
                .into_iter()
                .map(|s| (s.id.0, s.number, s.edition, s.state, s.tlp, String::new())),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out
}

async fn check(w: &mut World, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        w.apply(op).await;
    }
    w.core.flush_audits().await;
    let recs = w.records().await;
    for q in queries() {
        for who in READERS.iter().map(|r| Some(*r)).chain([None]) {
            let actor = who.map_or(Actor::Anonymous, |x| w.s(x).actor.clone());
            let want = expected(&actor, &recs, &q);
            let got = actual(w, who, &q).await;
            if want != got {
                return Err(format!(
                    "{who:?} {q:?}\n expected {want:?}\n got      {got:?}"
                ));
            }
        }
    }
    // The maintained read model is what a rebuild from the editions gives.
    let before = {
        let mut tx = w.db.store.read().await.unwrap();
        tx.hook_read_model().await.unwrap()
    };
    w.core.reindex(&Actor::System).await.unwrap();
    let after = {
        let mut tx = w.db.store.read().await.unwrap();
        tx.hook_read_model().await.unwrap()
    };
    if before != after {
        let a: BTreeSet<&String> = before.iter().collect();
        let b: BTreeSet<&String> = after.iter().collect();
        return Err(format!(
            "the maintained read model differs from a rebuild:\n only maintained: {:?}\n only rebuilt:    {:?}",
            a.difference(&b).collect::<Vec<_>>(),
            b.difference(&a).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

#[test]
fn lists_answer_what_the_policy_says_and_the_read_model_equals_a_rebuild() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(TestDb::all()) {
        let label = db.label;
        let w = rt.block_on(World::new(db));
        let cases = if label == "sqlite" { 32 } else { 16 };
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let w = std::cell::RefCell::new(w);
        // How many reports the generated cases asked to file, against how many threads exist:
        // a filing that silently failed would leave the lists too little to check.
        let asked = std::cell::Cell::new(0usize);
        let result = runner.run(&proptest::collection::vec(op(), 1..8), |ops| {
            let files = ops.iter().filter(|o| matches!(o, Op::File { .. })).count();
            asked.set(asked.get() + files);
            rt.block_on(check(&mut w.borrow_mut(), &ops))
                .map_err(|m| TestCaseError::fail(format!("[{label}] {m}")))
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let w = w.into_inner();
        assert!(
            asked.get() >= 4 && w.threads.len() * 2 >= asked.get(),
            "[{label}] {} threads for {} filings asked: the test built too little",
            w.threads.len(),
            asked.get()
        );
        rt.block_on(w.core.shutdown());
        rt.block_on(w.db.cleanup());
    }
}

/// The plans of the list queries, for each kind of reader: an index read in the list's order
/// (or the read model walked in its primary-key order), no sort of the matches, and no table
/// scanned whole.
#[tokio::test]
async fn list_queries_read_an_index_in_order_and_never_sort_or_scan() {
    for db in TestDb::all().await {
        let label = db.label;
        let mut w = World::new(db).await;
        for i in 0..30usize {
            let via = [
                Via::Ministry,
                Via::Ceptoar,
                Via::CeptoarAnonymised,
                Via::Draft,
            ][i % 4];
            w.apply(&Op::File {
                sector: i % 2,
                operator: 1 + i % 2,
                tlp: Tlp::ALL[i % 4],
                severity: Some(Severity::ALL[i % 3]),
                event: Some(EventClass::ALL[i % 8]),
                causes: vec![Cause::Vulnerability],
                via,
                outlook: Some(Outlook::Ongoing),
                exercise: false,
                word: i % 4,
            })
            .await;
            w.apply(&Op::Forward {
                thread: i,
                narrow: false,
            })
            .await;
        }
        let mut tx = w.db.store.read().await.unwrap();
        match label {
            "sqlite" => tx.hook_execute("ANALYZE").await.unwrap(),
            _ => {
                // Tiny tables make any plan cheap: ask whether an index-ordered one exists.
                for s in [
                    "SET enable_seqscan = off",
                    "SET enable_sort = off",
                    "SET enable_bitmapscan = off",
                ] {
                    tx.hook_execute(s).await.unwrap();
                }
            }
        }
        let lists: Vec<(&str, ListQuery)> = vec![
            (
                "first page",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    ..Default::default()
                }),
            ),
            (
                "severity",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    severity: Some(Severity::Alert),
                    ..Default::default()
                }),
            ),
            (
                "cause",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    cause: Some(Cause::Vulnerability),
                    ..Default::default()
                }),
            ),
            (
                "event",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    event: Some(EventClass::Intrusion),
                    ..Default::default()
                }),
            ),
            (
                "sector",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    sector: Some("finance".into()),
                    ..Default::default()
                }),
            ),
            (
                "tlp",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    tlp: Some(Tlp::Red),
                    ..Default::default()
                }),
            ),
            (
                "inbox",
                ListQuery::Reports(ReportListQuery {
                    limit: 50,
                    inbox: Some(ReportBox::Received),
                    ..Default::default()
                }),
            ),
            ("follow-ups", ListQuery::FollowUps),
            (
                "advisories",
                ListQuery::Advisories(AdvisoryListQuery {
                    limit: 50,
                    ..Default::default()
                }),
            ),
            (
                "delivered advisories",
                ListQuery::Advisories(AdvisoryListQuery {
                    limit: 50,
                    delivered: true,
                    ..Default::default()
                }),
            ),
        ];
        let mut readers: Vec<Actor> = [
            "op-finance-1-contact",
            "fsa-contact",
            "nisc-contact",
            "outsider-contact",
        ]
        .iter()
        .map(|r| w.s(r).actor.clone())
        .collect();
        readers.push(Actor::Anonymous);
        for actor in &readers {
            for (name, q) in &lists {
                let plan = tx.hook_explain(actor, q).await.unwrap();
                if plan.is_empty() {
                    continue;
                }
                let text = plan.join("\n");
                let bad = plan.iter().any(|l| match label {
                    "sqlite" => {
                        l.contains("TEMP B-TREE")
                            || (l.starts_with("SCAN ")
                                && !(l == "SCAN l" || l == "SCAN a" || l.contains("USING INDEX")))
                            || (l.contains("SCAN") && (l.contains(" so") || l.contains(" ss")))
                    }
                    _ => {
                        l.contains("Seq Scan") || l.contains("Sort") || l.contains("hashed SubPlan")
                    }
                });
                assert!(
                    !bad,
                    "[{label}] {name} as {:?}:\n{text}",
                    actor.org().map(|o| &o.code)
                );
            }
        }
        drop(tx);
        w.core.shutdown().await;
        w.db.cleanup().await;
    }
}
