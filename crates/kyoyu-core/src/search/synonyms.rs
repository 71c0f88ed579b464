//! The synonym list of search, which an administrator extends (`kyoyu admin synonyms`).

use kyoyu_domain::messages::Msg;
use kyoyu_domain::policy::Actor;
use kyoyu_domain::search::{Synonyms, fold};

use crate::admin::require_admin;
use crate::{Core, CoreError, Result};

impl Core {
    /// Every synonym group, folded.
    pub async fn synonym_groups(&self) -> Result<Vec<Vec<String>>> {
        let mut tx = self.store.read().await?;
        Ok(tx.synonym_groups().await?)
    }

    /// Makes `terms` spellings of one another (merged with the groups any of them is in).
    pub async fn add_synonyms(&self, actor: &Actor, terms: &[String]) -> Result<()> {
        require_admin(actor)?;
        let group = Synonyms::new([terms.to_vec()]);
        let Some(folded) = group.groups().first().cloned() else {
            return Err(CoreError::invalid(
                "terms",
                Msg::new("search.synonyms_need_two"),
            ));
        };
        let mut tx = self.store.begin().await?;
        tx.add_synonyms(&folded).await?;
        self.audit(
            &mut tx,
            actor,
            "synonyms_added",
            "search_synonyms",
            serde_json::json!({ "terms": folded }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a spelling out of its group; `not_found` when it is in none.
    pub async fn remove_synonym(&self, actor: &Actor, term: &str) -> Result<()> {
        require_admin(actor)?;
        let term = fold(term.trim());
        let mut tx = self.store.begin().await?;
        if !tx.remove_synonym(&term).await? {
            return Err(CoreError::not_found());
        }
        self.audit(
            &mut tx,
            actor,
            "synonym_removed",
            "search_synonyms",
            serde_json::json!({ "term": term }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The query a person typed, parsed and widened by the synonym list; `None` when blank.
    pub(crate) async fn text_query(
        &self,
        field: &str,
        text: Option<&str>,
    ) -> Result<Option<kyoyu_domain::search::Query>> {
        let Some(text) = text else { return Ok(None) };
        let Some(query) =
            kyoyu_domain::search::Query::parse(text).map_err(|m| CoreError::invalid(field, m))?
        else {
            return Ok(None);
        };
        let groups = self.synonym_groups().await?;
        Ok(Some(Synonyms::new(groups).expand(query)))
    }
}
