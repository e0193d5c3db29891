//! Who is calling, and the roles they hold where.

use crate::identity::SessionKind;

#[derive(Debug, Clone)]
pub enum Principal {
    User {
        id: String,
        username: String,
    },
    Token {
        id: String,
        name: String,
        unit_id: String,
        /// The person who minted the token: accountable for what it does.
        created_by: String,
    },
    /// The operator at the command line (`credgov import …`); holds no roles, the
    /// command itself decides what it may do.
    Operator {
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub unit_id: String,
    pub unit_path: String,
    pub role: super::Role,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub principal: Principal,
    pub grants: Vec<Grant>,
    pub session: SessionKind,
    /// A person whose session passed a second factor (TOTP) at login or enrolment.
    /// Secrets are shown only to such callers (`authz::require_person`).
    pub second_factor: bool,
    /// Hash of the presented bearer token (to end this session on logout).
    pub token_hash: String,
}

impl AuthContext {
    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::Token { .. } | Principal::Operator { .. } => None,
        }
    }

    /// The person accountable for this caller's actions: the user, or the person who
    /// minted the API token. The operator at the console is nobody in particular.
    pub fn accountable_person(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::Token { created_by, .. } => Some(created_by),
            Principal::Operator { .. } => None,
        }
    }

    /// The command-line operator, named after the OS user running the command.
    pub fn operator() -> AuthContext {
        let who = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        AuthContext {
            principal: Principal::Operator {
                name: format!("cli:{who}"),
            },
            grants: Vec::new(),
            session: SessionKind::Full,
            second_factor: false,
            token_hash: String::new(),
        }
    }

    /// `(kind, id, name)` for the audit trail.
    pub fn actor(&self) -> (&'static str, &str, &str) {
        match &self.principal {
            Principal::User { id, username } => ("user", id, username),
            Principal::Token { id, name, .. } => ("api_token", id, name),
            Principal::Operator { name } => ("operator", name, name),
        }
    }

    /// The unit whose audit chain records actions that concern no single unit.
    pub fn home_unit(&self) -> Option<&str> {
        match &self.principal {
            Principal::Token { unit_id, .. } => Some(unit_id),
            Principal::User { .. } | Principal::Operator { .. } => {
                self.grants.first().map(|g| g.unit_id.as_str())
            }
        }
    }

    /// A person holding `role` on each unit path (`/root/…/id/`), for unit tests.
    #[cfg(test)]
    pub fn with_roles_for_tests(grants: &[(&str, super::Role)]) -> Self {
        Self::for_tests(
            grants
                .iter()
                .map(|(p, r)| Grant {
                    unit_id: p.trim_matches('/').rsplit('/').next().unwrap_or("").into(),
                    unit_path: p.to_string(),
                    role: *r,
                })
                .collect(),
        )
    }

    #[cfg(test)]
    pub fn for_tests(grants: Vec<Grant>) -> Self {
        AuthContext {
            principal: Principal::User {
                id: "u".into(),
                username: "u".into(),
            },
            grants,
            session: SessionKind::Full,
            second_factor: true,
            token_hash: String::new(),
        }
    }
}
