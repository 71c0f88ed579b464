//! The forms as PDF: the printable page of a report edition or an advisory, rendered by
//! headless Chromium (`--print-to-pdf`) with the page rules of a printed 様式 — A4, the TLP in
//! its colour in the header and footer of every page, page numbers — and the Japanese font
//! embedded by Chromium: IPAex Gothic (Debian's `fonts-ipaexfont`), a TrueType font that
//! Chromium embeds as a subset (the CFF outlines of Noto Sans CJK end up as Type 3 glyphs,
//! which is the fallback when IPAex is missing). Chromium is an optional
//! dependency of a deployment: without it a PDF request answers 503 `pdf_unavailable` and the
//! printable page still prints from any browser.
//!
//! The page handed to Chromium is self-contained (the stylesheet inlined) and carries a
//! Content-Security-Policy that allows no script and no fetch, so that nothing in a form's
//! text — already escaped by the template — can run or call out while it renders.

use std::path::{Path, PathBuf};
use std::time::Duration;

use askama::Template;
use kyoyu_core::ErrorCode;
use kyoyu_domain::Tlp;
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::ui::reports::PrintTpl;

/// Renders at a time (each Chromium takes a core and a few hundred MiB for a second or two).
const AT_ONCE: usize = 2;
const TIMEOUT: Duration = Duration::from_secs(60);
const STYLESHEET: &str = include_str!("../static/kyoyu.css");

pub struct Renderer {
    chromium: Option<PathBuf>,
    permits: Semaphore,
}

/// The executable: the configured one, or the first of the usual names on `PATH`.
fn find_chromium(configured: Option<&str>) -> Option<PathBuf> {
    let on_path = |name: &str| -> Option<PathBuf> {
        if name.contains('/') {
            return Path::new(name).is_file().then(|| PathBuf::from(name));
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
    };
    match configured {
        Some(c) => on_path(c),
        None => ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find_map(on_path),
    }
}

/// TLP 2.0 colours; CLEAR/WHITE is white on black.
fn colours(tlp: Tlp) -> (&'static str, &'static str) {
    match tlp {
        Tlp::Red => ("#FF2B2B", "#000"),
        Tlp::Amber => ("#FFC000", "#000"),
        Tlp::Green => ("#33FF00", "#000"),
        Tlp::White => ("#000", "#FFF"),
    }
}

/// A CSS string literal.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\A "),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The page rules of a printed form under `tlp`.
fn page_css(tlp: Tlp) -> String {
    let (bg, fg) = colours(tlp);
    let banner = css_string(&format!(
        "TLP:{} — {}",
        tlp.code().to_ascii_uppercase(),
        tlp.label()
    ));
    let short = css_string(&format!("TLP:{}", tlp.code().to_ascii_uppercase()));
    format!(
        "@page {{ size: A4; margin: 18mm 14mm 16mm 14mm;\n\
         @top-center {{ content: {banner}; background: {bg}; color: {fg}; font-weight: bold; font-size: 10pt; padding: 1mm 4mm; }}\n\
         @bottom-left {{ content: {short}; background: {bg}; color: {fg}; font-weight: bold; font-size: 9pt; padding: 1mm 3mm; }}\n\
         @bottom-right {{ content: counter(page) \" / \" counter(pages); font-size: 9pt; }} }}\n\
         body {{ font-family: \"IPAexGothic\", \"Noto Sans CJK JP\", sans-serif; }}\n\
         .screen-only {{ display: none; }}\n"
    )
}

/// The printable page, self-contained, for Chromium.
pub fn page_html(tpl: &PrintTpl) -> Result<String, ApiError> {
    let tlp = tpl.tlp;
    let html = tpl.render().map_err(|e| {
        tracing::error!(error = %e, "rendering the printable page");
        ApiError::new(ErrorCode::Internal)
    })?;
    let head = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; font-src 'none'; img-src data:\">\n<style>{STYLESHEET}\n{}</style>",
        page_css(tlp)
    );
    Ok(html.replacen(
        "<link rel=\"stylesheet\" href=\"/static/kyoyu.css\">",
        &head,
        1,
    ))
}

impl Renderer {
    pub fn new(configured: Option<&str>) -> Renderer {
        Renderer {
            chromium: find_chromium(configured),
            permits: Semaphore::new(AT_ONCE),
        }
    }

    /// Whether PDF output is available here.
    pub fn available(&self) -> bool {
        self.chromium.is_some()
    }

    /// The PDF of a self-contained HTML page.
    pub async fn pdf(&self, html: &str) -> Result<Vec<u8>, ApiError> {
        let chromium = self
            .chromium
            .as_ref()
            .ok_or_else(|| ApiError::new(ErrorCode::PdfUnavailable))?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::new(ErrorCode::PdfUnavailable))?;
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "{what}");
            ApiError::new(ErrorCode::Internal)
        };
        let dir = tempfile::tempdir().map_err(|e| failed("PDF work directory", &e))?;
        let input = dir.path().join("form.html");
        let output = dir.path().join("form.pdf");
        tokio::fs::write(&input, html)
            .await
            .map_err(|e| failed("writing the page for PDF", &e))?;
        let mut cmd = tokio::process::Command::new(chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", output.display()))
        .arg(format!("file://{}", input.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
        let run = tokio::time::timeout(TIMEOUT, cmd.output())
            .await
            .map_err(|_| failed("Chromium took too long for a PDF", &"timeout"))?
            .map_err(|e| failed("starting Chromium", &e))?;
        let bytes = tokio::fs::read(&output).await.unwrap_or_default();
        if !bytes.starts_with(b"%PDF") {
            let stderr = String::from_utf8_lossy(&run.stderr);
            return Err(failed(
                "Chromium wrote no PDF",
                &format!("{}: {stderr}", run.status),
            ));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_cannot_break_out() {
        assert_eq!(css_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert!(page_css(Tlp::Amber).contains("TLP:AMBER — Amber 特定分野・関係者限り"));
        assert!(page_css(Tlp::White).contains("background: #000; color: #FFF"));
    }
}
