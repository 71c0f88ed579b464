//! The Excel 様式 out (a report edition, an advisory, blank forms) and in (a filled sheet as a
//! draft report or, for NISC, a draft advisory). Nothing of a sheet with any problem is kept:
//! every problem comes back by cell.

use kyoyu_domain::policy::Actor;
use kyoyu_domain::{AdvisoryId, ReportId, Tlp};
use kyoyu_forms::{XLSX_TYPE, advisory, report};

use super::{Download, file_name};
use crate::advisories::AdvisoryView;
use crate::auth::Session;
use crate::reports::ReportThread;
use crate::{Core, CoreError, Result};

fn xlsx(file_name: String, bytes: Vec<u8>) -> Download {
    Download {
        file_name,
        content_type: XLSX_TYPE.to_owned(),
        bytes,
        zipped: false,
    }
}

impl Core {
    /// A report edition (the latest when `edition` is `None`) as the caller sees it, as the
    /// Excel 様式 of 図4.
    pub async fn report_xlsx(
        &self,
        actor: &Actor,
        id: ReportId,
        edition: Option<u32>,
    ) -> Result<Download> {
        let thread = self.get_report(actor, id).await?;
        let ed = match edition {
            Some(n) => thread.editions.iter().find(|e| e.edition == n),
            None => thread.editions.last(),
        }
        .ok_or_else(CoreError::not_found)?;
        let version = ed.latest().ok_or_else(CoreError::not_found)?;
        let mut form = version.form.clone();
        form.number = ed.number.clone();
        form.exercise = form.exercise || thread.exercise;
        let bytes = report::export(&form, &self.reference()).map_err(CoreError::internal)?;
        self.record_export(actor, "report", id.0, thread.tlp, "xlsx")
            .await;
        Ok(xlsx(
            file_name(ed.number.as_deref(), ed.edition, report::sheet(), "xlsx"),
            bytes,
        ))
    }

    /// An advisory as the caller sees it, as the Excel 様式 of 図7.
    pub async fn advisory_xlsx(&self, actor: &Actor, id: AdvisoryId) -> Result<Download> {
        let view = self.get_advisory(actor, id).await?;
        let mut form = view.form.clone();
        form.number = view.number.clone();
        let bytes = advisory::export(&form, &self.reference()).map_err(CoreError::internal)?;
        self.record_export(actor, "advisory", id.0, view.tlp, "xlsx")
            .await;
        Ok(xlsx(
            file_name(
                view.number.as_deref(),
                form.edition,
                advisory::sheet(),
                "xlsx",
            ),
            bytes,
        ))
    }

    /// A blank 様式 to fill by hand: `report` (図4) or `advisory` (図7).
    pub fn blank_xlsx(&self, which: &str) -> Result<Download> {
        let reference = self.reference();
        let (bytes, sheet) = match which {
            "report" => (report::blank(&reference), report::sheet()),
            "advisory" => (advisory::blank(&reference), advisory::sheet()),
            _ => return Err(CoreError::not_found()),
        };
        Ok(xlsx(
            format!("{sheet}.xlsx"),
            bytes.map_err(CoreError::internal)?,
        ))
    }

    /// A filled report sheet as a draft of the caller's organisation: a new report, or — with
    /// `follow_up_of` — the next edition of that thread. Nothing is kept when any cell is wrong.
    pub async fn import_report_xlsx(
        &self,
        s: &Session,
        bytes: &[u8],
        follow_up_of: Option<ReportId>,
    ) -> Result<ReportThread> {
        let mut form = report::import(bytes, &self.reference()).map_err(CoreError::workbook)?;
        let thread = match follow_up_of {
            Some(id) => self.file_follow_up(s, id, form, false).await?,
            None => {
                form.edition = 1;
                self.create_report(s, form, None, false, false).await?
            }
        };
        // The draft itself is audited by the use case that filed it; this says where it came from.
        self.audit_read(
            &s.actor,
            "report_imported",
            format!("report:{}", thread.id),
            serde_json::json!({ "format": "xlsx" }),
        )
        .await;
        Ok(thread)
    }

    /// A filled advisory sheet as NISC's draft.
    pub async fn import_advisory_xlsx(&self, s: &Session, bytes: &[u8]) -> Result<AdvisoryView> {
        let form = advisory::import(bytes, &self.reference()).map_err(CoreError::workbook)?;
        self.create_advisory(s, form, &[]).await
    }

    /// Records that `actor` took an item out of kyoyu as a file (`xlsx`, `pdf`, …).
    pub async fn record_export(&self, actor: &Actor, kind: &str, id: i64, tlp: Tlp, format: &str) {
        if tlp != Tlp::White {
            self.audit_read(
                actor,
                if kind == "report" {
                    "report_exported"
                } else {
                    "advisory_exported"
                },
                format!("{kind}:{id}"),
                serde_json::json!({ "format": format }),
            )
            .await;
        }
    }
}
