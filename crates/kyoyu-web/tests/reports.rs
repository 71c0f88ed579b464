//! Incident reports through the HTTP API, on SQLite and PostgreSQL: the route with
//! anonymisation and numbering, the TLP matrix over every demo user, the anonymisation crawl,
//! gapless numbering under concurrency, attachments and samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use kyoyu_core::demo;
use kyoyu_test_support::{TestApp, apps, apps_with, form_for};
use kyoyu_web::WebConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

const OP: &str = "op-finance-1-contact@demo.example";
const CEP: &str = "ceptoar-finance-contact@demo.example";
const TAXII_REPORTS: &str = "/taxii2/api/collections/2b7f0c5e-8a1d-4f3b-9c6e-1d2a3b4c5d6e/";
const TAXII_PUBLIC: &str = "/taxii2/api/collections/4e8d2c1b-6a5f-4b3c-9d2e-7f1a0b9c8d7e/";
const FSA: &str = "fsa-contact@demo.example";
const NISC: &str = "nisc-contact@demo.example";

/// File an anonymised Amber report from op-finance-1 via ceptoar-finance, forward it through
/// fsa to nisc. Returns the report id.
async fn anonymised_report_reaching_nisc(app: &TestApp) -> i64 {
    let op = app.login(OP).await;
    let body = json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "route": { "to": "ceptoar-finance", "anonymize": true }, "submit": true });
    let (s, thread) = app.post("/api/v1/reports", &op, body).await;
    assert_eq!(s, StatusCode::CREATED, "{thread}");
    let id = thread["id"].as_i64().unwrap();
    assert_eq!(thread["number"], Value::Null);
    assert_eq!(thread["view"], "full");

    // Still at the CEPTOAR: not shared with the Amber community yet, not even the ministry.
    let fsa = app.login(FSA).await;
    assert_eq!(
        app.get(&format!("/api/v1/reports/{id}"), Some(&fsa))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let cep = app.login(CEP).await;
    let (_, inbox) = app.get("/api/v1/inbox?box=to_forward", Some(&cep)).await;
    assert_eq!(inbox["items"][0]["id"], id, "{inbox}");
    let (s, thread) = app.get(&format!("/api/v1/reports/{id}"), Some(&cep)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(thread["view"], "full");
    assert_eq!(thread["actions"]["anonymize_required"], true);
    assert_eq!(thread["actions"]["forward_to"][0]["code"], "fsa");
    let (s, thread) = app
        .post(
            &format!("/api/v1/reports/{id}/forward"),
            &cep,
            json!({ "to": "fsa", "anonymize": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{thread}");

    let (s, thread) = app.get(&format!("/api/v1/reports/{id}"), Some(&fsa)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(thread["view"], "released");
    assert_eq!(thread["originator"]["code"], "ceptoar-finance");
    assert_eq!(
        thread["editions"][0]["versions"].as_array().unwrap().len(),
        1,
        "only the anonymised version"
    );
    let form = &thread["editions"][0]["versions"][0]["form"];
    assert_eq!(form.get("operator_name"), None);
    assert_eq!(
        form["contact"]["organization"],
        "金融セプター事務局（デモ）"
    );
    let (s, thread) = app
        .post(
            &format!("/api/v1/reports/{id}/forward"),
            &fsa,
            json!({ "to": "nisc" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{thread}");
    assert_eq!(thread["number"], "R1");
    id
}

#[tokio::test]
async fn a_report_travels_the_route_is_anonymised_numbered_and_followed_up() {
    for app in apps().await {
        let id = anonymised_report_reaching_nisc(&app).await;
        let nisc = app.login(NISC).await;
        let (_, thread) = app.get(&format!("/api/v1/reports/{id}"), Some(&nisc)).await;
        assert_eq!(thread["number"], "R1");
        assert_eq!(thread["editions"][0]["number"], "R1");
        assert_eq!(thread["editions"][0]["versions"][0]["form"]["number"], "R1");
        let hops: Vec<(String, String)> = thread["route"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["from"]["code"].as_str().unwrap().to_owned(),
                    h["to"]["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            hops,
            [
                ("ceptoar-finance".to_owned(), "fsa".to_owned()),
                ("fsa".to_owned(), "nisc".to_owned())
            ],
            "the reporter's hop is hidden"
        );

        // Everyone on the route back to the originator is told the number.
        let op = app.login(OP).await;
        for who in [OP, CEP, FSA] {
            let token = app.login(who).await;
            let (_, n) = app.get("/api/v1/notifications", Some(&token)).await;
            let messages: Vec<&str> = n["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["message"].as_str().unwrap())
                .collect();
            assert!(
                messages.iter().any(|m| m.contains("R1")),
                "{who}: {messages:?}"
            );
        }
        // The reporter still sees the full, original report and its route.
        let (_, mine) = app.get(&format!("/api/v1/reports/{id}"), Some(&op)).await;
        assert_eq!(mine["view"], "full");
        assert_eq!(
            mine["editions"][0]["versions"][0]["form"]["operator_name"],
            "金融デモ事業者1"
        );
        assert_eq!(mine["route"].as_array().unwrap().len(), 3);

        // A follow-up promising more: R1-2, on the follow-up list of the originator and the ministry.
        let mut form = form_for("金融デモ事業者1", "finance", "amber");
        form["outlook"] = json!("investigating");
        form["impact"]["system_status"] = json!("partial");
        let (s, thread) = app
            .post(
                &format!("/api/v1/reports/{id}/editions"),
                &op,
                json!({ "form": form, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{thread}");
        assert_eq!(thread["editions"][1]["number"], "R1-2");
        assert_eq!(
            thread["editions"][1]["changed_fields"],
            json!(["impact.system_status", "outlook"])
        );
        let (_, fu) = app.get("/api/v1/follow-ups", Some(&op)).await;
        assert_eq!(fu["items"][0]["id"], id);
        assert!(fu["items"][0]["waiting_since"].is_string());
        // Edition 2 waits at the CEPTOAR; forwarded on, it reaches the ministry anonymised.
        let cep = app.login(CEP).await;
        let (s, _) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &cep,
                json!({ "to": "fsa" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let fsa = app.login(FSA).await;
        let (_, fu) = app.get("/api/v1/follow-ups", Some(&fsa)).await;
        assert_eq!(fu["items"][0]["id"], id);
        assert_eq!(fu["items"][0]["number"], "R1-2");
        // NISC numbered the thread and waits for its 続報 too (図4 ⑧).
        let nisc = app.login(NISC).await;
        let (_, fu) = app.get("/api/v1/follow-ups", Some(&nisc)).await;
        assert_eq!(fu["items"][0]["id"], id, "{fu}");
        let (_, thread) = app.get(&format!("/api/v1/reports/{id}"), Some(&fsa)).await;
        let ed2 = &thread["editions"][1]["versions"][0]["form"];
        assert_eq!(
            ed2.get("operator_name"),
            None,
            "the follow-up is anonymised too: {ed2}"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn forwarding_widening_and_wrong_routes_are_refused_with_clear_errors() {
    for app in apps().await {
        let op = app.login("op-electricity-1-contact@demo.example").await;
        // A legally mandated report goes to the ministry directly, not via the CEPTOAR.
        let mut form = form_for("電力デモ事業者1", "electricity", "amber");
        form["basis"] = json!("legal");
        let (s, e) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form, "route": { "to": "ceptoar-electricity" }, "submit": true }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("route.to")),
            "{e}"
        );
        let (s, e) = app.post("/api/v1/reports", &op, json!({ "form": form_for("x", "electricity", "amber"), "route": { "to": "fsa" }, "submit": true })).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "not the electricity ministry: {e}"
        );
        let mut bad = form_for("x", "electricity", "amber");
        bad["contact"]["person"] = json!("");
        let (s, e) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": bad, "route": { "to": "meti" }, "submit": true }),
            )
            .await;
        assert_eq!(e["error"]["field"], "form.contact.person", "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("担当者名"),
            "{e}"
        );
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let mut bad = form_for("x", "electricity", "amber");
        bad["tlp"] = json!("purple");
        let (s, e) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": bad, "route": { "to": "meti" }, "submit": true }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("form.tlp")),
            "{e}"
        );

        let (s, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("電力デモ事業者1", "electricity", "amber"), "route": { "to": "meti" }, "submit": true })).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let id = t["id"].as_i64().unwrap();
        let meti = app.login("meti-contact@demo.example").await;
        let mut wider = t["editions"][0]["versions"][0]["form"].clone();
        wider["tlp"] = json!("green");
        let (s, e) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &meti,
                json!({ "to": "nisc", "form": wider }),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("form.tlp")),
            "{e}"
        );
        let (s, e) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &meti,
                json!({ "to": "fsa" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        // The ministry completes the form (a new version) and narrows the scope to Red.
        let mut narrower = t["editions"][0]["versions"][0]["form"].clone();
        narrower["tlp"] = json!("red");
        narrower["severity"] = json!("warning");
        let (s, t2) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &meti,
                json!({ "to": "nisc", "form": narrower }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{t2}");
        assert_eq!(t2["tlp"], "red");
        let versions = t2["editions"][0]["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2, "the earlier version is kept");
        assert_eq!(versions[0]["form"]["severity"], "reference");
        assert_eq!(versions[1]["form"]["severity"], "warning");
        // Forwarding twice: nothing left to forward.
        let (s, _) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &meti,
                json!({ "to": "nisc" }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // Someone off the route cannot forward or even see a Red report.
        let other = app.login("mhlw-contact@demo.example").await;
        let (s, _) = app
            .post(
                &format!("/api/v1/reports/{id}/forward"),
                &other,
                json!({ "to": "nisc" }),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        app.db.cleanup().await;
    }
}

/// The demo organisations and their users.
async fn demo_users(app: &TestApp) -> Vec<(String, String, bool)> {
    let orgs: Vec<String> = app
        .core
        .list_orgs(&kyoyu_domain::policy::Actor::System)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.code)
        .collect();
    let mut users = Vec::new();
    for org in orgs {
        users.push((org.clone(), format!("{org}-contact@demo.example"), true));
        users.push((org.clone(), format!("{org}-member@demo.example"), false));
    }
    users.push((String::new(), "admin@demo.example".to_owned(), false));
    users
}

/// DOMAIN.md §5 for reports, written against the demo world's shape (not the policy code):
/// who may see a released report of `sector` from `origin` via `ministry` to NISC at `tlp`.
#[allow(clippy::too_many_arguments)]
fn expected_audience(
    org: &str,
    contact: bool,
    email: &str,
    author: &str,
    sector: &str,
    route: &[&str],
    ministry: &str,
    tlp: &str,
) -> bool {
    if email == author {
        return true;
    }
    let in_sector_community =
        org == format!("ceptoar-{sector}") || org.starts_with(&format!("op-{sector}-"));
    match tlp {
        "white" => true,
        "green" => !org.is_empty() && org != "outsider",
        "amber" => {
            contact
                && (org == "nisc" || org == ministry || in_sector_community || route.contains(&org))
        }
        "red" => contact && (org == "nisc" || route.contains(&org)),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn every_demo_user_sees_exactly_what_the_tlp_table_says() {
    let sectors = [
        ("finance", "fsa"),
        ("electricity", "meti"),
        ("medical", "mhlw"),
    ];
    for app in apps().await {
        // One released report per sector × TLP, filed by op-<sector>-1 to its ministry, on to NISC.
        let mut reports: BTreeMap<i64, (String, String, String)> = BTreeMap::new();
        for (sector, ministry) in sectors {
            let op = app
                .login(&format!("op-{sector}-1-contact@demo.example"))
                .await;
            let min = app.login(&format!("{ministry}-contact@demo.example")).await;
            for tlp in ["red", "amber", "green", "white"] {
                let body = json!({ "form": form_for(&format!("{sector}事業者"), sector, tlp), "route": { "to": ministry }, "submit": true });
                let (s, t) = app.post("/api/v1/reports", &op, body).await;
                assert_eq!(s, StatusCode::CREATED, "{t}");
                let id = t["id"].as_i64().unwrap();
                let (s, _) = app
                    .post(
                        &format!("/api/v1/reports/{id}/forward"),
                        &min,
                        json!({ "to": "nisc" }),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK);
                reports.insert(id, (sector.to_owned(), ministry.to_owned(), tlp.to_owned()));
            }
        }
        let users = demo_users(&app).await;
        let mut checked = 0;
        for (org, email, contact) in &users {
            let token = app.login(email).await;
            let (s, list) = app.get("/api/v1/reports?limit=200", Some(&token)).await;
            assert_eq!(s, StatusCode::OK);
            let listed: BTreeSet<i64> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect();
            let mut expected = BTreeSet::new();
            for (id, (sector, ministry, tlp)) in &reports {
                let origin = format!("op-{sector}-1");
                let author = format!("{origin}-contact@demo.example");
                let route = [origin.as_str(), ministry.as_str(), "nisc"];
                let may =
                    expected_audience(org, *contact, email, &author, sector, &route, ministry, tlp);
                if may {
                    expected.insert(*id);
                }
                let (s, _) = app
                    .get(&format!("/api/v1/reports/{id}"), Some(&token))
                    .await;
                assert_eq!(
                    s == StatusCode::OK,
                    may,
                    "[{}] {email} reading {tlp} {sector} report: {s}",
                    app.db.label
                );
                checked += 1;
            }
            assert_eq!(listed, expected, "[{}] {email} lists", app.db.label);
        }
        assert_eq!(checked, users.len() * reports.len());
        // And without an account: White only (DOMAIN.md §5: 「公開情報」 is public).
        let (s, page) = app.get("/api/v1/reports?limit=200", None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let listed: BTreeSet<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .filter(|id| reports.contains_key(id))
            .collect();
        let white: BTreeSet<i64> = reports
            .iter()
            .filter(|(_, (_, _, tlp))| tlp == "white")
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(listed, white, "[{}] anonymous list", app.db.label);
        for (id, (_, _, tlp)) in &reports {
            let (s, _) = app.get(&format!("/api/v1/reports/{id}"), None).await;
            let want = if tlp == "white" {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(
                s, want,
                "[{}] anonymous read of a {tlp} report",
                app.db.label
            );
        }
        app.db.cleanup().await;
    }
}

/// The text of an answer: an .xlsx (a zip) unpacked, entry by entry.
fn readable(bytes: &[u8]) -> String {
    if !bytes.starts_with(b"PK") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = String::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        out.push_str(&text);
    }
    assert!(out.contains("情報連絡様式"), "an unpacked report form");
    out
}

#[tokio::test]
async fn the_reporters_identity_reaches_nobody_past_the_ceptoar() {
    for app in apps().await {
        let id = anonymised_report_reaching_nisc(&app).await;
        // The reporter attaches a press release named after itself.
        let op = app.login(OP).await;
        let form = reqwest::multipart::Form::new()
            .text("kind", "document")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"press release".to_vec())
                    .file_name("金融デモ事業者1_報道発表.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let res = app
            .client
            .post(app.url(&format!("/api/v1/reports/{id}/attachments")))
            .bearer_auth(&op)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        // And a follow-up, so that there is an edition history to crawl.
        let (s, _) = app
            .post(
                &format!("/api/v1/reports/{id}/editions"),
                &op,
                json!({ "form": form_for("金融デモ事業者1", "finance", "amber"), "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let cep = app.login(CEP).await;
        app.post(
            &format!("/api/v1/reports/{id}/forward"),
            &cep,
            json!({ "to": "fsa" }),
        )
        .await;

        let secrets = [
            "op-finance-1",
            "金融デモ事業者1",
            "renraku@op.example",
            "連絡 太郎",
            "03-0000-0000",
            "情報システム部",
            "_報道発表.pdf",
        ];
        let users = demo_users(&app).await;
        let mut pages = 0;
        for (org, email, _) in users
            .iter()
            .filter(|(o, _, _)| o != "op-finance-1" && o != "ceptoar-finance")
        {
            let token = app.login(email).await;
            let mut paths = vec![
                "/api/v1/reports".to_owned(),
                format!("/api/v1/reports?q={}", "金融デモ事業者1"),
                format!("/api/v1/reports?q={}", "op-finance-1"),
                format!("/api/v1/reports/{id}"),
                "/api/v1/inbox?box=to_forward".to_owned(),
                "/api/v1/inbox?box=received".to_owned(),
                "/api/v1/inbox?box=sent".to_owned(),
                "/api/v1/inbox?box=drafts".to_owned(),
                "/api/v1/follow-ups".to_owned(),
                "/api/v1/notifications".to_owned(),
                "/api/v1/me".to_owned(),
                format!("/api/v1/reports/{id}/xlsx"),
                format!("/api/v1/reports/{id}/xlsx?edition=1"),
                format!("/api/v1/reports/{id}/xlsx?edition=2"),
                "/api/v1/reports.csv".to_owned(),
                format!("/api/v1/reports.csv?q={}", "金融デモ事業者1"),
                "/api/v1/inbox.csv?box=received".to_owned(),
                "/api/v1/inbox.csv?box=to_forward".to_owned(),
                "/api/v1/follow-ups.csv".to_owned(),
                format!("/api/v1/reports/{id}/stix"),
                // The TAXII collections (reports, and the public one) and their manifests.
                format!("{TAXII_REPORTS}objects/"),
                format!("{TAXII_REPORTS}manifest/"),
                format!("{TAXII_REPORTS}objects/?added_after=2000-01-01T00:00:00Z&limit=5"),
                format!("{TAXII_PUBLIC}objects/"),
            ];
            let (s, thread) = app
                .get(&format!("/api/v1/reports/{id}"), Some(&token))
                .await;
            if s == StatusCode::OK {
                for a in thread["attachments"].as_array().unwrap() {
                    paths.push(format!("/api/v1/reports/{id}/attachments/{}", a["id"]));
                }
            }
            for path in paths {
                let res = app
                    .client
                    .get(app.url(&path))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let text = readable(&res.bytes().await.unwrap());
                for secret in secrets {
                    assert!(
                        !text.contains(secret),
                        "[{}] {email} ({org}) {path} → {status} reveals {secret:?}:\n{text}",
                        app.db.label
                    );
                }
                pages += 1;
            }
        }
        // The same through the web UI, as every other demo user.
        for (org, email, _) in users
            .iter()
            .filter(|(o, _, _)| o != "op-finance-1" && o != "ceptoar-finance" && !o.is_empty())
        {
            let ui = app.ui_login(email).await;
            for path in [
                "/".to_owned(),
                "/reports".to_owned(),
                format!("/reports?q={}", "金融デモ事業者1"),
                format!("/reports/{id}"),
                format!("/reports/{id}/print"),
                format!("/reports/{id}/forward"),
                format!("/reports/{id}/follow-up"),
                "/inbox?box=to_forward".to_owned(),
                "/inbox?box=received".to_owned(),
                "/inbox?box=sent".to_owned(),
                "/inbox?box=drafts".to_owned(),
                "/follow-ups".to_owned(),
                format!("/reports/{id}/export.xlsx"),
                "/reports/export.csv".to_owned(),
                "/inbox/export.csv?box=received".to_owned(),
                "/follow-ups/export.csv".to_owned(),
            ] {
                let res = ui.get(app.url(&path)).send().await.unwrap();
                let status = res.status();
                assert!(status.as_u16() < 500, "{email} {path} → {status}");
                // The search box shows back what the user typed; that is not a disclosure.
                let text =
                    readable(&res.bytes().await.unwrap()).replace("value=\"金融デモ事業者1\"", "");
                for secret in secrets {
                    assert!(
                        !text.contains(secret),
                        "[{}] UI {email} ({org}) {path} → {status} reveals {secret:?}",
                        app.db.label
                    );
                }
                pages += 1;
            }
        }
        assert!(pages > 1500, "{pages}");
        // The search cannot find the report through the removed name, but finds it by its words.
        let fsa = app.login(FSA).await;
        let (_, hits) = app
            .get("/api/v1/reports?q=%E6%94%B9%E3%81%96%E3%82%93", Some(&fsa))
            .await;
        assert_eq!(hits["items"][0]["id"], id);
        app.db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn report_numbers_are_gapless_and_unique_under_concurrency() {
    for app in apps().await {
        let second = app.second_server().await;
        let n = 24;
        let mut tasks = Vec::new();
        for i in 0..n {
            let (base, client) = (
                if i % 2 == 0 {
                    app.base.clone()
                } else {
                    second.clone()
                },
                app.client.clone(),
            );
            let ministry = ["fsa", "meti", "mhlw", "mlit"][i % 4];
            let sector = ["finance", "electricity", "medical", "railway"][i % 4];
            tasks.push(tokio::spawn(async move {
                let login: Value = client.post(format!("{base}/api/v1/auth/login")).json(&json!({ "email": format!("{ministry}-contact@demo.example"), "password": demo::DEMO_PASSWORD })).send().await.unwrap().json().await.unwrap();
                let token = login["token"].as_str().unwrap().to_owned();
                let res = client.post(format!("{base}/api/v1/reports")).bearer_auth(&token)
                    .json(&json!({ "form": form_for("省庁", sector, "green"), "route": { "to": "nisc" }, "submit": true })).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
                let t: Value = res.json().await.unwrap();
                t["number"].as_str().unwrap().to_owned()
            }));
        }
        let mut numbers: Vec<u64> = Vec::new();
        for t in tasks {
            numbers.push(t.await.unwrap().trim_start_matches('R').parse().unwrap());
        }
        numbers.sort_unstable();
        assert_eq!(
            numbers,
            (1..=n as u64).collect::<Vec<_>>(),
            "[{}]",
            app.db.label
        );
        app.db.cleanup().await;
    }
}

fn seven_zip() -> Option<&'static str> {
    for bin in ["7z", "7za"] {
        if std::process::Command::new(bin).arg("i").output().is_ok() {
            return Some(bin);
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but 7-Zip is missing: apt-get install p7zip-full"
    );
    eprintln!("SKIPPED the independent zip check: 7-Zip (p7zip-full) is not installed");
    None
}

#[tokio::test]
async fn a_sample_comes_back_only_inside_a_password_protected_zip() {
    for app in apps().await {
        let op = app.login("op-gas-1-contact@demo.example").await;
        let (_, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("ガスデモ事業者1", "gas", "amber"), "route": { "to": "meti" }, "submit": true })).await;
        let id = t["id"].as_i64().unwrap();
        let sample: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let upload = reqwest::multipart::Form::new().text("kind", "sample").part(
            "file",
            reqwest::multipart::Part::bytes(sample.clone())
                .file_name("../../invoice.pdf.exe")
                .mime_str("application/x-msdownload")
                .unwrap(),
        );
        let res = app
            .client
            .post(app.url(&format!("/api/v1/reports/{id}/attachments")))
            .bearer_auth(&op)
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let a: Value = res.json().await.unwrap();
        assert_eq!(a["file_name"], "invoice.pdf.exe", "the name is sanitised");
        assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(a["sha1"].as_str().unwrap().len(), 40);
        assert_eq!(a["md5"].as_str().unwrap().len(), 32);
        let meti = app.login("meti-contact@demo.example").await;
        let res = app
            .client
            .get(app.url(&format!("/api/v1/reports/{id}/attachments/{}", a["id"])))
            .bearer_auth(&meti)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/zip");
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        let zip = res.bytes().await.unwrap().to_vec();
        assert!(
            !zip.windows(64).any(|w| w == &sample[..64]),
            "the sample is not in the clear"
        );
        if let Some(bin) = seven_zip() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("sample.zip");
            std::fs::write(&path, &zip).unwrap();
            let wrong = std::process::Command::new(bin)
                .args(["x", "-pwrong", "-y"])
                .arg(format!("-o{}", dir.path().join("bad").display()))
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                !wrong.status.success(),
                "7-Zip opened it with the wrong password"
            );
            let ok = std::process::Command::new(bin)
                .args(["x", "-pinfected", "-y"])
                .arg(format!("-o{}", dir.path().join("out").display()))
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                ok.status.success(),
                "{}",
                String::from_utf8_lossy(&ok.stdout)
            );
            assert_eq!(
                std::fs::read(dir.path().join("out/invoice.pdf.exe")).unwrap(),
                sample,
                "byte-identical"
            );
        }
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn attachments_above_the_limit_are_refused_with_413() {
    for app in apps_with(WebConfig {
        max_attachment_bytes: 4096,
        ..WebConfig::default()
    })
    .await
    {
        let op = app.login("op-water-1-contact@demo.example").await;
        let (_, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("水道デモ事業者1", "water", "green"), "route": { "to": "mhlw" }, "submit": true })).await;
        let id = t["id"].as_i64().unwrap();
        for (size, status) in [
            (4096, StatusCode::CREATED),
            (4097, StatusCode::PAYLOAD_TOO_LARGE),
            (200_000, StatusCode::PAYLOAD_TOO_LARGE),
        ] {
            let upload = reqwest::multipart::Form::new()
                .text("kind", "document")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(vec![b'a'; size]).file_name("a.txt"),
                );
            let res = app
                .client
                .post(app.url(&format!("/api/v1/reports/{id}/attachments")))
                .bearer_auth(&op)
                .multipart(upload)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), status, "{size} bytes");
            if status != StatusCode::CREATED {
                let e: Value = res.json().await.unwrap();
                assert_eq!(e["error"]["code"], "too_large");
            }
        }
        let (_, t) = app.get(&format!("/api/v1/reports/{id}"), Some(&op)).await;
        assert_eq!(
            t["attachments"].as_array().unwrap().len(),
            1,
            "nothing partial was kept"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn an_upload_with_a_part_the_contract_does_not_name_is_refused_and_keeps_nothing() {
    for app in apps().await {
        let op = app.login("op-water-1-contact@demo.example").await;
        let (_, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("水道デモ事業者1", "water", "green"), "route": { "to": "mhlw" }, "submit": true })).await;
        let id = t["id"].as_i64().unwrap();
        let upload = reqwest::multipart::Form::new()
            .text("kind", "document")
            .text("comment", "extra")
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"press release".to_vec()).file_name("a.txt"),
            );
        let res = app
            .client
            .post(app.url(&format!("/api/v1/reports/{id}/attachments")))
            .bearer_auth(&op)
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let e: Value = res.json().await.unwrap();
        let message = e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
            + e.to_string().as_str();
        assert!(message.contains("comment"), "the part is named: {e}");
        let (_, t) = app.get(&format!("/api/v1/reports/{id}"), Some(&op)).await;
        assert_eq!(t["attachments"].as_array().unwrap().len(), 0, "{t}");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_seed_example_is_accepted_as_it_is() {
    for app in apps().await {
        let text = include_str!("../../../fixtures/report-fig5.json");
        let fixture: Value = serde_json::from_str(text).unwrap();
        let fsa = app.login(FSA).await;
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &fsa,
                json!({ "form": fixture, "route": { "to": "nisc" }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let mut stored = t["editions"][0]["versions"][0]["form"].clone();
        let mut original = fixture.clone();
        original.as_object_mut().unwrap().remove("_comment");
        stored["number"] = Value::Null;
        assert_eq!(stored, original, "the form round-trips unchanged");
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn an_exercise_report_is_labelled_as_one_everywhere() {
    for app in apps().await {
        let op = app.login("op-railway-1-contact@demo.example").await;
        let mut form = form_for("鉄道デモ事業者1", "railway", "green");
        form["exercise"] = json!(true);
        let (s, t) = app
            .post(
                "/api/v1/reports",
                &op,
                json!({ "form": form, "route": { "to": "mlit" }, "submit": true }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(t["exercise"], true);
        let id = t["id"].as_i64().unwrap();
        let mlit = app.login("mlit-contact@demo.example").await;
        let (_, list) = app.get("/api/v1/reports", Some(&mlit)).await;
        assert!(
            list["items"][0]["title"]
                .as_str()
                .unwrap()
                .starts_with("【訓練】"),
            "{list}"
        );
        let (_, n) = app.get("/api/v1/notifications", Some(&mlit)).await;
        assert!(
            n["items"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("【訓練】"),
            "{n}"
        );
        let ui = app.ui_login("mlit-contact@demo.example").await;
        let page = ui
            .get(app.url(&format!("/reports/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("<h1 id=\"thread-title\">【訓練】"),
            "the thread page says so"
        );
        let list_page = ui
            .get(app.url("/reports"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list_page.contains("【訓練】"));
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn a_report_drill_shows_each_hop_and_who_has_not_passed_it_on() {
    for app in apps().await {
        let op = app.login("op-gas-2-contact@demo.example").await;
        let mut form = form_for("ガスデモ事業者2", "gas", "amber");
        form["exercise"] = json!(true);
        let (_, t) = app.post("/api/v1/reports", &op, json!({ "form": form, "route": { "to": "ceptoar-gas", "anonymize": true }, "submit": true })).await;
        let id = t["id"].as_i64().unwrap();
        let cep = app.login("ceptoar-gas-contact@demo.example").await;
        assert_eq!(
            app.post(
                &format!("/api/v1/reports/{id}/forward"),
                &cep,
                json!({ "to": "meti" })
            )
            .await
            .0,
            StatusCode::OK
        );
        let (s, drill) = app
            .get(&format!("/api/v1/reports/{id}/drill-report"), Some(&op))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(drill["exercise"], true);
        let rows = drill["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{drill}");
        assert_eq!(rows[0]["org"]["code"], "ceptoar-gas");
        assert!(rows[0]["seconds_to_pass_on"].is_i64());
        assert_eq!(
            drill["never_passed_on"][0]["code"], "meti",
            "the ministry has not sent it to NISC yet"
        );
        // The ministry sees the drill without the reporter's hop.
        let meti = app.login("meti-contact@demo.example").await;
        let (_, drill) = app
            .get(&format!("/api/v1/reports/{id}/drill-report"), Some(&meti))
            .await;
        assert!(!drill.to_string().contains("op-gas-2"), "{drill}");
        // And as CSV: the ministry's lines only, the reporter nowhere.
        for (token, lines) in [
            (&op, 3),
            (&meti, 1 + drill["rows"].as_array().unwrap().len()),
        ] {
            let csv = app
                .client
                .get(app.url(&format!("/api/v1/reports/{id}/drill.csv")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(csv.status(), StatusCode::OK);
            let csv = csv.text().await.unwrap();
            assert_eq!(csv.lines().count(), lines, "{csv}");
            assert!(
                csv.contains("ガスセプター") || csv.contains("セプター"),
                "{csv}"
            );
            if *token == meti {
                assert!(!csv.contains("ガスデモ事業者2"), "{csv}");
            }
        }
        let ui = app.ui_login("meti-contact@demo.example").await;
        let page = ui
            .get(app.url(&format!("/reports/{id}/drill")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("【訓練】")
                && page.contains("経済産業省")
                && !page.contains("ガスデモ事業者2"),
            "{page}"
        );
        app.db.cleanup().await;
    }
}

#[tokio::test]
async fn the_thread_page_takes_an_attachment_only_with_the_sessions_csrf_token() {
    for app in apps().await {
        let op = app.login("op-medical-1-contact@demo.example").await;
        let (_, t) = app.post("/api/v1/reports", &op, json!({ "form": form_for("医療デモ事業者1", "medical", "green"), "route": { "to": "mhlw" }, "submit": true })).await;
        let id = t["id"].as_i64().unwrap();
        let ui = app.ui_login("op-medical-1-contact@demo.example").await;
        let html = ui
            .get(app.url(&format!("/reports/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"_csrf\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let csrf = html[start..].split('"').next().unwrap().to_owned();
        let form = |token: &str| {
            reqwest::multipart::Form::new()
                .text("_csrf", token.to_owned())
                .text("kind", "document")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(b"notice".to_vec()).file_name("報道発表.txt"),
                )
        };
        let res = ui
            .post(app.url(&format!("/reports/{id}/attachments")))
            .multipart(form("forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = ui
            .post(app.url(&format!("/reports/{id}/attachments")))
            .multipart(form(&csrf))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let page = ui
            .get(app.url(&format!("/reports/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("報道発表.txt") && page.contains("SHA-256"),
            "the attachment and its hashes are shown"
        );
        let (_, t) = app.get(&format!("/api/v1/reports/{id}"), Some(&op)).await;
        assert_eq!(
            t["attachments"].as_array().unwrap().len(),
            1,
            "the forged post stored nothing"
        );
        app.db.cleanup().await;
    }
}
