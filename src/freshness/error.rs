//! What can go wrong with content freshness: the account (not found, not allowed, not
//! a content account), the input (a date in the future, a bad URL), an import file
//! whose rows do not all check out, and the database underneath.

use serde_json::{Value, json};

use crate::authz::AuthzError;
use crate::error::{InputError, InternalError};
use crate::tenancy::TenancyError;

crate::error_enum! {
    #[derive(Debug, thiserror::Error)]
    pub enum FreshnessError {
        #[error("account not found")]
        NotFound => (NotFound, "not_found"),
        /// The file cannot be read as a publication log (encoding, CSV syntax, columns).
        #[error("{0}")]
        File(String) => (Invalid, "unreadable_file"),
        /// Rows that do not check out (each with its row number); nothing was written.
        #[error("{} row(s) of the file have problems; nothing was imported", problems.len())]
        Rows { problems: Vec<String> } => (Invalid, "invalid_rows"),
    }
    #[error(transparent)]
    nested {
        Authz(AuthzError),
        Tenancy(TenancyError),
        Input(InputError),
        Internal(InternalError),
    }
    details = details;
}

fn details(e: &FreshnessError) -> Option<Value> {
    match e {
        FreshnessError::Rows { problems } => Some(json!({ "problems": problems })),
        _ => None,
    }
}
