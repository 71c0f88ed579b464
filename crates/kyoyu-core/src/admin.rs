//! Administration: organisations, users, tokens and reference data. Called by `kyoyu admin` (as
//! the system actor) and by administrators; every change is audited.

use std::collections::BTreeSet;

use kyoyu_domain::policy::Actor;
use kyoyu_domain::reference::ReferenceData;
use kyoyu_domain::{Email, OrgCode, Role};
use kyoyu_store::{NewOrg, NewUser, OrgRow};

use crate::auth::hash_password;
use kyoyu_domain::messages::{self, Locale, Msg};
use kyoyu_domain::{OrgId, UserId};

use crate::{Core, CoreError, NewApiToken, Result};

#[derive(Debug, Clone, Default)]
pub struct NewOrgSpec {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub roles: BTreeSet<Role>,
    pub sectors: BTreeSet<String>,
    /// The reference-data ministry this organisation is, for sector ministries.
    pub ministry: Option<String>,
    /// Codes of CEPTOARs it is a member of.
    pub ceptoars: BTreeSet<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewUserSpec {
    pub email: String,
    pub name: String,
    pub org: Option<String>,
    pub password: String,
    pub is_contact: bool,
    pub is_admin: bool,
}

pub(crate) fn require_admin(actor: &Actor) -> Result<()> {
    match actor {
        Actor::System => Ok(()),
        Actor::User(u) if u.is_admin => Ok(()),
        _ => Err(CoreError::forbidden()),
    }
}

impl Core {
    /// Every organisation (codes, names, roles, sectors): the directory any signed-in user sees.
    pub async fn list_orgs(&self, actor: &Actor) -> Result<Vec<OrgRow>> {
        if matches!(actor, Actor::Anonymous) {
            return Err(CoreError::unauthenticated());
        }
        Ok(self.store.read().await?.list_orgs().await?)
    }

    pub async fn org(&self, actor: &Actor, id: OrgId) -> Result<OrgRow> {
        if matches!(actor, Actor::Anonymous) {
            return Err(CoreError::unauthenticated());
        }
        Ok(self.store.read().await?.org(id).await?)
    }

    pub async fn create_org(&self, actor: &Actor, spec: &NewOrgSpec) -> Result<OrgId> {
        require_admin(actor)?;
        let code = OrgCode::parse(&spec.code)
            .map_err(|_| CoreError::invalid("code", Msg::new("invalid.org_code")))?;
        if spec.name_ja.trim().is_empty() {
            return Err(CoreError::invalid(
                "name_ja",
                Msg::new("invalid.required").arg("field", messages::t(Locale::Ja, "field.name")),
            ));
        }
        let reference = self.reference();
        for s in &spec.sectors {
            if !reference.is_sector(s) {
                return Err(CoreError::invalid(
                    "sectors",
                    Msg::new("invalid.unknown_sector").arg("code", s),
                ));
            }
        }
        if let Some(m) = &spec.ministry
            && reference.ministry(m).is_none()
        {
            return Err(CoreError::invalid(
                "ministry",
                Msg::new("invalid.unknown_ministry").arg("code", m),
            ));
        }
        let mut tx = self.store.begin().await?;
        let mut ceptoar_ids = Vec::new();
        for c in &spec.ceptoars {
            let id = tx.org_id_by_code(c).await?.ok_or_else(|| {
                CoreError::invalid("ceptoars", Msg::new("invalid.unknown_org").arg("code", c))
            })?;
            if !tx.org(id).await?.roles.contains(&Role::Ceptoar) {
                return Err(CoreError::invalid(
                    "ceptoars",
                    Msg::new("invalid.not_a_ceptoar").arg("code", c),
                ));
            }
            ceptoar_ids.push(id);
        }
        let id = tx
            .create_org(&NewOrg {
                code: code.to_string(),
                name_ja: spec.name_ja.trim().to_owned(),
                name_en: spec.name_en.trim().to_owned(),
                roles: spec.roles.clone(),
                sectors: spec.sectors.clone(),
                ministry: spec.ministry.clone(),
                at: self.now_ts(),
            })
            .await?;
        for c in ceptoar_ids {
            tx.add_ceptoar_member(c, id).await?;
        }
        let roles: Vec<&str> = spec.roles.iter().map(|r| r.code()).collect();
        self.audit(
            &mut tx,
            actor,
            "org_created",
            format!("org:{id}"),
            serde_json::json!({ "code": code.as_str(), "roles": roles, "sectors": spec.sectors }),
        )
        .await?;
        tx.commit().await?;
        self.sessions.clear();
        Ok(id)
    }

    /// Adds an existing organisation to a CEPTOAR.
    pub async fn add_ceptoar_member(
        &self,
        actor: &Actor,
        ceptoar: &str,
        member: &str,
    ) -> Result<()> {
        require_admin(actor)?;
        let mut tx = self.store.begin().await?;
        let c = tx.org_id_by_code(ceptoar).await?.ok_or_else(|| {
            CoreError::invalid(
                "ceptoar",
                Msg::new("invalid.unknown_org").arg("code", ceptoar),
            )
        })?;
        let m = tx.org_id_by_code(member).await?.ok_or_else(|| {
            CoreError::invalid(
                "member",
                Msg::new("invalid.unknown_org").arg("code", member),
            )
        })?;
        if !tx.org(c).await?.roles.contains(&Role::Ceptoar) {
            return Err(CoreError::invalid(
                "ceptoar",
                Msg::new("invalid.not_a_ceptoar").arg("code", ceptoar),
            ));
        }
        tx.add_ceptoar_member(c, m).await?;
        self.sessions.clear();
        self.audit(
            &mut tx,
            actor,
            "ceptoar_member_added",
            format!("org:{c}"),
            serde_json::json!({ "member": member }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_user(&self, actor: &Actor, spec: &NewUserSpec) -> Result<UserId> {
        require_admin(actor)?;
        let email = Email::parse(&spec.email)
            .map_err(|_| CoreError::invalid("email", Msg::new("invalid.email")))?;
        self.validate_password("password", &spec.password)?;
        let hash = hash_password(&spec.password).await?;
        self.insert_user(actor, spec, &email, hash).await
    }

    /// Inserts a user whose password is already hashed (the demo world hashes once for all).
    pub(crate) async fn insert_user(
        &self,
        actor: &Actor,
        spec: &NewUserSpec,
        email: &Email,
        hash: String,
    ) -> Result<UserId> {
        let mut tx = self.store.begin().await?;
        let org_id = match &spec.org {
            Some(code) => Some(tx.org_id_by_code(code).await?.ok_or_else(|| {
                CoreError::invalid("org", Msg::new("invalid.unknown_org").arg("code", code))
            })?),
            None => None,
        };
        let name = if spec.name.trim().is_empty() {
            email.to_string()
        } else {
            spec.name.trim().to_owned()
        };
        let id = tx
            .create_user(&NewUser {
                org_id,
                email: email.to_string(),
                name,
                password_hash: hash,
                is_contact: spec.is_contact,
                is_admin: spec.is_admin,
                at: self.now_ts(),
            })
            .await?;
        self.audit(
            &mut tx,
            actor,
            "user_created",
            format!("user:{id}"),
            serde_json::json!({ "email": email.as_str(), "org": spec.org, "contact": spec.is_contact, "admin": spec.is_admin }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Issues an API token for a user (for scripts and peer systems).
    pub async fn create_token_for(
        &self,
        actor: &Actor,
        email: &str,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> Result<NewApiToken> {
        require_admin(actor)?;
        let email = Email::parse(email)
            .map_err(|_| CoreError::invalid("email", Msg::new("invalid.email")))?;
        let mut tx = self.store.begin().await?;
        let user = tx
            .user_by_email(email.as_str())
            .await?
            .ok_or_else(|| CoreError::invalid("email", Msg::new("invalid.unknown_user")))?;
        let token = self
            .issue_api_token(&mut tx, actor, user.id, name, expires_in_days)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Rebuilds the read model from the editions (`kyoyu admin reindex`); returns how many
    /// items it rebuilt.
    pub async fn reindex(&self, actor: &Actor) -> Result<u64> {
        require_admin(actor)?;
        let mut tx = self.store.begin().await?;
        let n = tx.reindex().await?;
        self.audit(
            &mut tx,
            actor,
            "read_model_rebuilt",
            "read_model",
            serde_json::json!({ "items": n }),
        )
        .await?;
        tx.commit().await?;
        self.store.refresh_statistics().await?;
        Ok(n)
    }

    /// The reference data in force, as TOML for editing.
    pub fn reference_toml(&self) -> String {
        self.reference().to_toml()
    }

    /// Replaces the reference data with an edited document (validated; audited; history kept).
    pub async fn replace_reference(&self, actor: &Actor, toml_text: &str) -> Result<()> {
        require_admin(actor)?;
        let data = ReferenceData::from_toml(toml_text).map_err(|e| {
            CoreError::invalid("reference", Msg::new("invalid.reference").arg("detail", e))
        })?;
        let mut tx = self.store.begin().await?;
        let version = tx
            .put_reference_data(&data, &self.now_ts(), actor.user_id())
            .await?;
        self.audit(
            &mut tx,
            actor,
            "reference_data_replaced",
            format!("reference_data:{version}"),
            serde_json::json!({ "sectors": data.sectors.len() }),
        )
        .await?;
        tx.commit().await?;
        self.set_reference(data);
        self.sessions.clear();
        Ok(())
    }
}
