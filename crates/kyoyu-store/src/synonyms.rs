//! The synonym groups of search (`search_synonyms`): spellings, folded, that a query treats
//! as one. Not item data: any caller may read them.

use sqlx::Row;

use crate::{Result, Tx};

impl Tx {
    /// Every group, each sorted, in order of their first spelling.
    pub async fn synonym_groups(&mut self) -> Result<Vec<Vec<String>>> {
        let rows =
            sqlx::query("SELECT term, group_id FROM search_synonyms ORDER BY group_id, term")
                .fetch_all(self.conn())
                .await?;
        let mut groups: Vec<(i64, Vec<String>)> = Vec::new();
        for r in rows {
            let (term, group): (String, i64) = (r.try_get("term")?, r.try_get("group_id")?);
            match groups.last_mut() {
                Some((g, terms)) if *g == group => terms.push(term),
                _ => groups.push((group, vec![term])),
            }
        }
        let mut out: Vec<Vec<String>> = groups.into_iter().map(|(_, t)| t).collect();
        out.sort();
        Ok(out)
    }

    /// Makes `terms` (folded) one group, together with every group that has any of them.
    pub async fn add_synonyms(&mut self, terms: &[String]) -> Result<()> {
        let mut groups = Vec::new();
        for t in terms {
            if let Some(r) = sqlx::query("SELECT group_id FROM search_synonyms WHERE term = $1")
                .bind(t)
                .fetch_optional(self.conn())
                .await?
            {
                groups.push(r.try_get::<i64, _>("group_id")?);
            }
        }
        let group = match groups.iter().min() {
            Some(g) => *g,
            None => {
                let r =
                    sqlx::query("SELECT COALESCE(MAX(group_id), 0) + 1 AS g FROM search_synonyms")
                        .fetch_one(self.conn())
                        .await?;
                r.try_get::<i64, _>("g")?
            }
        };
        for g in groups.iter().filter(|g| **g != group) {
            sqlx::query("UPDATE search_synonyms SET group_id = $1 WHERE group_id = $2")
                .bind(group)
                .bind(*g)
                .execute(self.conn())
                .await?;
        }
        for t in terms {
            sqlx::query(
                "INSERT INTO search_synonyms (term, group_id) VALUES ($1, $2) ON CONFLICT (term) DO NOTHING",
            )
            .bind(t)
            .bind(group)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Takes `term` out of its group; whether it was in one.
    pub async fn remove_synonym(&mut self, term: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM search_synonyms WHERE term = $1")
            .bind(term)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
