//! Typed ids. Every id is UUIDv7 text in the database; in Rust each kind of row has its
//! own type, so a function taking `(&UnitId, &AccountId)` cannot be called with the two
//! swapped. They encode and decode as TEXT (`#[sqlx(transparent)]`), serialise as plain
//! strings and appear in the OpenAPI document as `string`.

macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(
            Clone,
            Debug,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            ::serde::Serialize,
            ::serde::Deserialize,
            ::sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                $name($crate::db::new_id())
            }
            /// An id read from a trusted place (a row, a path segment: unknown ids
            /// simply find nothing).
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                <String as ::utoipa::PartialSchema>::schema()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    )+};
}

id_types! {
    /// A unit (机构): the district, a department, a sub-unit.
    UnitId;
    /// A person or integration user.
    UserId;
    /// A managed account (website back end, 公众号, 微博 …).
    AccountId;
    /// One sealed password version of an account.
    VersionId;
    /// A staged rotation of an account's password.
    RotationId;
    /// A handover case.
    CaseId;
    /// A staff-change event reported by HR.
    EventId;
    /// An API token.
    TokenId;
    /// A login session.
    SessionId;
    /// A rectification item (整改) opened for a finding.
    RectificationId;
    /// A notification in a person's inbox.
    NotificationId;
    /// An outbox message (one message to one destination; the webhook id).
    OutboxId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_strings_on_the_wire() {
        let id = UnitId::new("0190-abc");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0190-abc\"");
        let back: UnitId = serde_json::from_str("\"0190-abc\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(id, "0190-abc");
        assert_ne!(UnitId::generate(), UnitId::generate());
    }
}
