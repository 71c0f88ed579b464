//! Search over a generated corpus of 10,000 Japanese report threads, on SQLite and
//! PostgreSQL. For every demo user (and nobody signed in) each query must find exactly the
//! threads that `can_see` admits and whose view's text matches — computed here from the whole
//! threads with the policy and `present`, not from the read model — and the facet counts must
//! be the counts of those hits. Known phrases, two-character words, NFKC variants, synonyms,
//! phrases, OR and NOT, numbers, and a name that anonymisation removes are all asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kyoyu_core::search::{SearchKind, SearchRequest};
use kyoyu_core::{Core, CoreConfig, SystemClock, demo};
use kyoyu_domain::policy::view::ReportView;
use kyoyu_domain::policy::{Actor, can_see, report_view};
use kyoyu_domain::report::thread::{ReportRecord, present};
use kyoyu_domain::search::body::{advisory_body, report_body};
use kyoyu_domain::search::{Query, Synonyms, fold};
use kyoyu_domain::wareki::fiscal_year;
use kyoyu_domain::{AdvisoryId, ReportId};
use kyoyu_store::{SearchQuery, TokenKind};
use kyoyu_test_support::TestDb;

const THREADS: usize = 10_000;

/// What one view of a thread shows, as the search sees it.
struct ViewRow {
    folded: String,
    number: Option<String>,
    facets: Vec<(&'static str, String)>,
    anonymized: bool,
}

struct Corpus {
    threads: Vec<(ReportRecord, BTreeMap<&'static str, ViewRow>)>,
}

fn view_rows(rec: &ReportRecord) -> BTreeMap<&'static str, ViewRow> {
    let mut out = BTreeMap::new();
    for view in ReportView::ALL {
        let p = present(view, rec);
        let Some(s) = p.summary() else { continue };
        let mut facets = vec![
            ("sector", s.sector.clone()),
            ("tlp", s.tlp.code().to_owned()),
            ("fiscal_year", fiscal_year(s.reported_at).to_string()),
            ("state", s.state.code().to_owned()),
        ];
        facets.extend(s.event.map(|e| ("event", e.code().to_owned())));
        facets.extend(s.severity.map(|e| ("severity", e.code().to_owned())));
        facets.extend(s.causes.iter().map(|c| ("cause", c.code().to_owned())));
        out.insert(
            view.code(),
            ViewRow {
                folded: fold(&report_body(&p)),
                number: s.number.clone(),
                facets,
                anonymized: s.anonymized,
            },
        );
    }
    out
}

impl Corpus {
    /// The view `actor` gets of each thread it may see (by index into `threads`).
    fn visible(&self, actor: &Actor) -> Vec<(usize, &'static str)> {
        self.threads
            .iter()
            .enumerate()
            .filter(|(_, (rec, _))| can_see(actor, &rec.scope))
            .map(|(i, (rec, _))| (i, report_view(actor, &rec.facts()).code()))
            .collect()
    }

    /// For each thread and view, whether `q` matches it.
    fn matching(&self, q: &Query) -> Vec<BTreeSet<&'static str>> {
        self.threads
            .iter()
            .map(|(_, views)| {
                views
                    .iter()
                    .filter(|(_, r)| q.matches(&r.folded, r.number.as_deref()))
                    .map(|(v, _)| *v)
                    .collect()
            })
            .collect()
    }

    /// The threads visible as `visible` says that `matching` finds, with the view of each.
    fn expected<'a>(
        &'a self,
        visible: &[(usize, &'static str)],
        matching: &[BTreeSet<&'static str>],
    ) -> BTreeMap<ReportId, &'a ViewRow> {
        visible
            .iter()
            .filter(|(i, view)| matching[*i].contains(view))
            .map(|(i, view)| (self.threads[*i].0.id, &self.threads[*i].1[view]))
            .collect()
    }
}

/// Every demo user's e-mail address (a contact and a member of each organisation, and the
/// administrator).
async fn demo_users(core: &Core) -> Vec<String> {
    let mut out: Vec<String> = core
        .list_orgs(&Actor::System)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|o| {
            [
                format!("{}-contact@demo.example", o.code),
                format!("{}-member@demo.example", o.code),
            ]
        })
        .collect();
    out.push(demo::ADMIN_EMAIL.to_owned());
    out
}

async fn actors(core: &Core) -> Vec<(String, Actor)> {
    let mut out = vec![("(anonymous)".to_owned(), Actor::Anonymous)];
    for email in demo_users(core).await {
        let login = core
            .login(&email, demo::DEMO_PASSWORD, None, TokenKind::Session)
            .await
            .unwrap();
        let s = core.authenticate(&login.token).await.unwrap();
        out.push((email, s.actor.clone()));
    }
    out
}

/// Every hit of `q` for `actor`, paged through the scoped reader 500 at a time.
async fn all_hits(db: &TestDb, actor: &Actor, q: &Query) -> (u64, Vec<ReportId>) {
    let mut ids = Vec::new();
    let mut total;
    loop {
        let mut tx = db.store.read().await.unwrap();
        let page = tx
            .scoped(actor)
            .search_reports(&SearchQuery {
                text: Some(q.clone()),
                offset: ids.len() as u32,
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        total = page.total;
        let n = page.hits.len();
        ids.extend(page.hits.into_iter().map(|h| h.row.id));
        if n < 500 {
            break;
        }
    }
    (total, ids)
}

fn facet_counts<'a>(rows: impl Iterator<Item = &'a ViewRow>) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for row in rows {
        for (name, value) in &row.facets {
            *out.entry((name.to_string(), value.clone())).or_default() += 1;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_finds_exactly_what_the_policy_lets_them_see() {
    for db in TestDb::all().await {
        let label = db.label;
        let core = Core::new(
            db.store.clone(),
            Arc::new(SystemClock),
            CoreConfig::default(),
        )
        .await
        .unwrap();
        let started = std::time::Instant::now();
        let generated = core.generate(THREADS, 7).await.unwrap();
        eprintln!("{label}: generated in {:?}", started.elapsed());
        assert_eq!(generated.threads, THREADS);
        let mut corpus = Corpus {
            threads: Vec::new(),
        };
        let mut advisories = Vec::new();
        {
            let mut tx = db.store.read().await.unwrap();
            let mut scoped = tx.scoped(&Actor::System);
            for id in 1..=(THREADS as i64 + 50) {
                if let Ok(rec) = scoped.report(ReportId(id)).await {
                    let rec = rec.get().clone();
                    let views = view_rows(&rec);
                    corpus.threads.push((rec, views));
                }
            }
            // Advisories and reports share one sequence of item ids.
            for id in 1..=(THREADS as i64 + 300) {
                if let Ok(rec) = scoped.advisory(AdvisoryId(id)).await {
                    advisories.push(rec.get().clone());
                }
            }
        }
        assert_eq!(corpus.threads.len(), THREADS, "{label}");
        assert!(
            !advisories.is_empty(),
            "{label}: the generator files advisories"
        );
        let synonyms = Synonyms::new(core.synonym_groups().await.unwrap());
        let operator = "金融デモ事業者1";
        // Every user asks the first four; each of the others is asked by half of the users
        // in turn (all of them would double the run for little more assurance).
        let queries = [
            "改ざん",
            "侵入",
            "ＶＰＮ装置",
            operator,
            "改竄",
            "ランサムウェア OR ddos -停止",
            "\"不審な通信\" 監視センター",
            "R12",
        ];
        let queries: Vec<(&str, Query, Vec<BTreeSet<&str>>)> = queries
            .iter()
            .map(|s| {
                let q = synonyms.expand(Query::parse(s).unwrap().unwrap());
                let m = corpus.matching(&q);
                (*s, q, m)
            })
            .collect();
        eprintln!("{label}: corpus loaded at {:?}", started.elapsed());
        let actors = actors(&core).await;
        eprintln!("{label}: signed in at {:?}", started.elapsed());
        assert!(actors.len() >= 100, "{label}: {} demo users", actors.len());
        let mut seen_anonymised_by_name = (false, false);
        let mut advisory_hits = 0;
        for (u, (who, actor)) in actors.iter().enumerate() {
            let visible = corpus.visible(actor);
            for (n, (text, q, matching)) in queries.iter().enumerate() {
                if n >= 4 && (n + u) % 2 == 0 {
                    continue;
                }
                let expected = corpus.expected(&visible, matching);
                let (total, ids) = all_hits(&db, actor, q).await;
                let found: BTreeSet<ReportId> = ids.iter().copied().collect();
                assert_eq!(found.len(), ids.len(), "{label} {who} {text}: a hit twice");
                let want: BTreeSet<ReportId> = expected.keys().copied().collect();
                assert_eq!(
                    found.difference(&want).collect::<Vec<_>>(),
                    Vec::<&ReportId>::new(),
                    "{label} {who} {text}: found what the policy hides or the text lacks"
                );
                assert_eq!(
                    want.difference(&found).collect::<Vec<_>>(),
                    Vec::<&ReportId>::new(),
                    "{label} {who} {text}: missed"
                );
                assert_eq!(total, want.len() as u64, "{label} {who} {text}: total");
                if *text == operator {
                    // Threads released anonymised: past the CEPTOAR nobody finds them by the
                    // reporter's name; the CEPTOAR does.
                    let anonymised = corpus
                        .threads
                        .iter()
                        .filter(|(_, v)| v.get("released").is_some_and(|r| r.anonymized))
                        .any(|(rec, _)| found.contains(&rec.id));
                    if who.starts_with("ceptoar-finance-contact") && anonymised {
                        seen_anonymised_by_name.0 = true;
                    }
                    if who.starts_with("nisc-contact") {
                        assert!(
                            !anonymised,
                            "{label}: NISC found an anonymised thread by the reporter's name"
                        );
                        seen_anonymised_by_name.1 = true;
                    }
                }
                // The facets and the first page through the use case.
                if n < 2 {
                    let r = core
                        .search(
                            actor,
                            &SearchRequest {
                                q: Some(text.to_string()),
                                kind: SearchKind::Reports,
                                ..Default::default()
                            },
                        )
                        .await
                        .unwrap();
                    assert_eq!(r.total, want.len() as u64, "{label} {who} {text}");
                    let mut shown = BTreeMap::new();
                    for f in &r.facets {
                        assert!(!f.label.is_empty());
                        for v in &f.values {
                            assert!(!v.label.is_empty(), "{label}: facet {} {}", f.name, v.value);
                            shown.insert((f.name.to_owned(), v.value.clone()), v.count);
                        }
                    }
                    assert_eq!(
                        shown,
                        facet_counts(expected.values().copied()),
                        "{label} {who} {text}: facet counts"
                    );
                    for hit in &r.reports {
                        assert!(want.contains(&hit.summary.id));
                        let row = expected[&hit.summary.id];
                        let by_number = row
                            .number
                            .as_deref()
                            .is_some_and(|n| q.positive_terms().any(|t| t.occurs("", Some(n))));
                        assert!(
                            by_number || hit.snippet.iter().any(|s| s.hit),
                            "{label} {who} {text}: a snippet without the match: {:?}",
                            hit.snippet
                        );
                    }
                }
            }
            // Advisories, through their own index.
            for text in ["脆弱性", "ランサムウェア OR ddos"] {
                let q = synonyms.expand(Query::parse(text).unwrap().unwrap());
                let want: BTreeSet<AdvisoryId> = advisories
                    .iter()
                    .filter(|a| can_see(actor, &a.scope))
                    .filter(|a| q.matches(&fold(&advisory_body(a)), a.number_text().as_deref()))
                    .map(|a| a.id)
                    .collect();
                let mut tx = db.store.read().await.unwrap();
                let page = tx
                    .scoped(actor)
                    .search_advisories(&SearchQuery {
                        text: Some(q.clone()),
                        limit: 500,
                        ..Default::default()
                    })
                    .await
                    .unwrap();
                let found: BTreeSet<AdvisoryId> = page.hits.iter().map(|h| h.row.id).collect();
                assert_eq!(found, want, "{label} {who} {text}: advisories");
                advisory_hits += found.len();
            }
        }
        eprintln!("{label}: searched at {:?}", started.elapsed());
        assert!(advisory_hits > 0, "{label}: no advisory was ever found");
        assert_eq!(
            seen_anonymised_by_name,
            (true, true),
            "{label}: the corpus must hold anonymised threads the CEPTOAR finds by name"
        );
        db.cleanup().await;
    }
}

/// The administrator's synonym list widens every search at once; nobody else may change it.
#[tokio::test]
async fn an_administrator_extends_the_synonyms_and_searches_follow() {
    for db in TestDb::all().await {
        let core = Core::new(
            db.store.clone(),
            Arc::new(SystemClock),
            CoreConfig::default(),
        )
        .await
        .unwrap();
        core.generate(200, 3).await.unwrap();
        let nisc = core
            .login(
                "nisc-contact@demo.example",
                demo::DEMO_PASSWORD,
                None,
                TokenKind::Session,
            )
            .await
            .unwrap();
        let nisc = core.authenticate(&nisc.token).await.unwrap();
        let total = |q: &'static str| {
            let core = &core;
            let actor = nisc.actor.clone();
            async move {
                core.search(
                    &actor,
                    &SearchRequest {
                        q: Some(q.into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .total
            }
        };
        let ransom = total("ランサムウェア").await;
        assert!(ransom > 0);
        assert_eq!(total("身代金型ウイルス").await, 0);
        let denied = core
            .add_synonyms(
                &nisc.actor,
                &["身代金型ウイルス".into(), "ランサムウェア".into()],
            )
            .await
            .unwrap_err();
        assert_eq!(denied.code, kyoyu_domain::ErrorCode::Forbidden);
        // Merged into the seeded group of ランサムウェア and ransomware.
        core.add_synonyms(
            &Actor::System,
            &["身代金型ウイルス".into(), "ランサムウェア".into()],
        )
        .await
        .unwrap();
        let groups = core.synonym_groups().await.unwrap();
        assert!(
            groups
                .iter()
                .any(|g| g.contains(&"身代金型ウイルス".to_owned())
                    && g.contains(&"ransomware".to_owned())),
            "{groups:?}"
        );
        assert_eq!(total("身代金型ウイルス").await, ransom);
        let one = core
            .add_synonyms(&Actor::System, &["ひとつ".into()])
            .await
            .unwrap_err();
        assert_eq!(one.field.as_deref(), Some("terms"));
        core.remove_synonym(&Actor::System, "身代金型ウイルス")
            .await
            .unwrap();
        assert_eq!(total("身代金型ウイルス").await, 0);
        db.cleanup().await;
    }
}
