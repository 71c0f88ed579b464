//! Statistics over a generated corpus, on SQLite and PostgreSQL: for every demo user (and
//! nobody signed in), the counts by fiscal year × sector and by month × cause equal counts
//! made here from the whole threads with `can_see` and `present`; and with the small-cell
//! threshold on, every cell of fewer than three threads not all on the caller's route is hidden, no row or column gives
//! a hidden cell away by subtraction, and every count shown is the true one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kyoyu_core::stats::{StatDimension, Statistics, StatsRequest};
use kyoyu_core::{Core, CoreConfig, SystemClock, demo};
use kyoyu_domain::ReportId;
use kyoyu_domain::policy::{Actor, can_see, report_view};
use kyoyu_domain::report::thread::{EditionState, ReportRecord, present};
use kyoyu_domain::stats::Period;
use kyoyu_domain::wareki::month_jst;
use kyoyu_store::TokenKind;
use kyoyu_test_support::TestDb;

const THREADS: usize = 2_000;

/// (period, key) → (count, known) as the caller should see them.
type Expected = BTreeMap<(String, String), (u64, u64)>;

fn expected(recs: &[ReportRecord], actor: &Actor, period: Period, dim: StatDimension) -> Expected {
    let org = actor.org_id();
    let mut out = Expected::new();
    for rec in recs {
        if !can_see(actor, &rec.scope) {
            continue;
        }
        let p = present(report_view(actor, &rec.facts()), rec);
        let Some(s) = p.summary() else { continue };
        if s.exercise || !p.editions.iter().any(|e| e.state == EditionState::Sent) {
            continue;
        }
        let known = org.is_some_and(|o| {
            rec.origin_org == o || rec.hops.iter().any(|h| h.from == o || h.to == o)
        });
        let key = period.of_month(&month_jst(s.reported_at)).unwrap();
        let values: Vec<String> = match dim {
            StatDimension::Sector => vec![s.sector.clone()],
            StatDimension::Cause => s.causes.iter().map(|c| c.code().to_owned()).collect(),
            _ => unreachable!(),
        };
        for v in values {
            let e = out.entry((key.clone(), v)).or_default();
            e.0 += 1;
            e.1 += u64::from(known);
        }
    }
    out
}

/// The cells as shown: (period, key) → count, `None` when hidden.
fn shown(s: &Statistics) -> BTreeMap<(String, String), Option<u64>> {
    let mut out = BTreeMap::new();
    for row in &s.rows {
        for (col, cell) in s.columns.iter().zip(&row.cells) {
            if cell.count != Some(0) {
                out.insert((row.period.clone(), col.key.clone()), cell.count);
            }
        }
    }
    out
}

async fn core_with(db: &TestDb, min_cell: u64) -> Core {
    Core::new(
        db.store.clone(),
        Arc::new(SystemClock),
        CoreConfig {
            stats_min_cell: min_cell,
            ..CoreConfig::default()
        },
    )
    .await
    .unwrap()
}

async fn actors(core: &Core) -> Vec<(String, Actor)> {
    let mut out = vec![("(anonymous)".to_owned(), Actor::Anonymous)];
    for o in core.list_orgs(&Actor::System).await.unwrap() {
        for kind in ["contact", "member"] {
            let email = format!("{}-{kind}@demo.example", o.code);
            let login = core
                .login(&email, demo::DEMO_PASSWORD, None, TokenKind::Session)
                .await
                .unwrap();
            out.push((email, core.authenticate(&login.token).await.unwrap().actor));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_counts_what_they_may_see_and_small_cells_stay_hidden() {
    for db in TestDb::all().await {
        let label = db.label;
        let exact = core_with(&db, 1).await;
        exact.generate(THREADS, 11).await.unwrap();
        let guarded = core_with(&db, 3).await;
        let mut recs = Vec::new();
        {
            let mut tx = db.store.read().await.unwrap();
            let mut scoped = tx.scoped(&Actor::System);
            for id in 1..=(THREADS as i64 + 50) {
                if let Ok(r) = scoped.report(ReportId(id)).await {
                    recs.push(r.get().clone());
                }
            }
        }
        assert_eq!(recs.len(), THREADS);
        let mut hidden_somewhere = false;
        for (who, actor) in actors(&exact).await {
            for (period, dim) in [
                (Period::FiscalYear, StatDimension::Sector),
                (Period::Month, StatDimension::Cause),
            ] {
                let req = StatsRequest {
                    period,
                    dimension: Some(dim),
                    ..Default::default()
                };
                let want = expected(&recs, &actor, period, dim);
                // Without a threshold: every count exactly.
                let s = exact.statistics(&actor, &req).await.unwrap();
                let counts: BTreeMap<_, _> =
                    want.iter().map(|(k, v)| (k.clone(), Some(v.0))).collect();
                assert_eq!(shown(&s), counts, "{label} {who} {period:?} {dim:?}");
                if dim == StatDimension::Sector {
                    let all: u64 = want.values().map(|v| v.0).sum();
                    assert_eq!(s.total.count, Some(all), "{label} {who}: total");
                }
                // With it: hidden where few unknown threads are, true where shown.
                let g = guarded.statistics(&actor, &req).await.unwrap();
                let cells = shown(&g);
                for (k, (n, known)) in &want {
                    let cell = cells.get(k).copied().flatten();
                    if *n < 3 && known < n {
                        assert_eq!(cell, None, "{label} {who} {k:?}: {n} with {known} known");
                        hidden_somewhere = true;
                    } else if let Some(c) = cell {
                        assert_eq!(c, *n, "{label} {who} {k:?}");
                    }
                }
                for (r, row) in g.rows.iter().enumerate() {
                    let hidden = row.cells.iter().filter(|c| c.suppressed).count();
                    assert!(
                        row.total.suppressed || hidden != 1,
                        "{label} {who}: row {r} gives its one hidden cell away"
                    );
                }
                for (c, total) in g.column_totals.iter().enumerate() {
                    let hidden = g.rows.iter().filter(|r| r.cells[c].suppressed).count();
                    assert!(
                        total.suppressed || hidden != 1,
                        "{label} {who}: column {c} gives its one hidden cell away"
                    );
                }
            }
        }
        assert!(
            hidden_somewhere,
            "{label}: the corpus must have small cells to hide"
        );
        // NISC is on the route of everything numbered: the national picture, unhidden.
        let nisc = actors(&guarded)
            .await
            .into_iter()
            .find(|(w, _)| w == "nisc-contact@demo.example")
            .unwrap()
            .1;
        let s = guarded
            .statistics(
                &nisc,
                &StatsRequest {
                    period: Period::FiscalYear,
                    dimension: Some(StatDimension::Sector),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let sectors: BTreeSet<&str> = s.columns.iter().map(|c| c.key.as_str()).collect();
        assert!(sectors.len() >= 10, "{label}: {sectors:?}");
        assert!(s.occurred_to_reported.hours.is_some());
        assert!(s.reported_to_numbered.hours.is_some());
        assert!(s.advisories.total > 0 && s.advisories.deliveries > 0);
        db.cleanup().await;
    }
}
