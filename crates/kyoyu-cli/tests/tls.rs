//! `kyoyu serve --tls-cert/--tls-key`: HTTPS with the given certificate (made by the openssl
//! command, as an administrator would), HSTS and Secure cookies, plain HTTP refused on that
//! port, and a renewed certificate taken up on SIGHUP without a restart — a broken one
//! refused while the old one stays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;

/// A self-signed certificate for 127.0.0.1, with its key, written to `cert` and `key`.
fn make_cert(cert: &Path, key: &Path, cn: &str) {
    let s = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
        ])
        .arg(format!("/CN={cn}"))
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        // A server certificate, not the CA openssl makes by default.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .stderr(Stdio::null())
        .status()
        .expect("the openssl command makes the test certificates");
    assert!(s.success());
}

fn serve_tls(data: &Path, cert: &Path, key: &Path) -> (Running, String) {
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let (child, base) = serve_with(
        data,
        None,
        &["--demo", "--tls-cert", cert, "--tls-key", key],
    );
    assert!(base.starts_with("https://"), "{base}");
    (child, base)
}

/// A client that trusts only `cert`.
fn trusting(cert: &Path) -> reqwest::Client {
    let pem = std::fs::read(cert).unwrap();
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn serves_https_with_hsts_and_takes_a_renewed_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    make_cert(&cert, &key, "kyoyu-first");
    let first = dir.path().join("first.pem");
    std::fs::copy(&cert, &first).unwrap();
    let (mut child, base) = serve_tls(&dir.path().join("data"), &cert, &key);

    let res = trusting(&first)
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get("strict-transport-security")
            .is_some_and(|v| v.to_str().unwrap().contains("max-age=")),
        "HSTS over TLS"
    );
    let login = trusting(&first)
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap();
    let cookies: Vec<_> = login.headers().get_all("set-cookie").iter().collect();
    assert!(!cookies.is_empty());
    for c in cookies {
        assert!(c.to_str().unwrap().contains("Secure"), "{c:?}");
    }
    // Plain HTTP on the TLS port gets no page.
    let plain = reqwest::Client::new()
        .get(base.replace("https://", "http://") + "/healthz")
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));

    // Renewed: new connections get the new certificate after SIGHUP.
    make_cert(&cert, &key, "kyoyu-renewed");
    let hup = |child: &Running| {
        std::process::Command::new("kill")
            .arg("-HUP")
            .arg(child.id().to_string())
            .status()
            .unwrap();
    };
    hup(&child);
    let renewed = trusting(&cert);
    let mut ok = false;
    for _ in 0..50 {
        if renewed.get(format!("{base}/healthz")).send().await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "the renewed certificate is served after SIGHUP");
    assert!(
        trusting(&first)
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "the old certificate is no longer served"
    );

    // A broken key on SIGHUP: refused, the renewed certificate stays, the service goes on.
    std::fs::write(&key, "not a key").unwrap();
    hup(&child);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = trusting(&cert)
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(child.try_wait().unwrap().is_none(), "still serving");
    let _ = child.kill();
    let _ = child.wait();

    // A start with a broken key says so in Japanese and serves nothing.
    let out = kyoyu(&dir.path().join("data"), None)
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("秘密鍵"), "{err}");
}
