//! One way to declare a capability's error enum: [`error_enum!`](crate::error_enum!).
//!
//! A capability's enum has its own variants (what went wrong in its own words), each
//! declared with its [`ErrorKind`](crate::error::ErrorKind) and stable code, and
//! variants that carry another capability's error unchanged (`AuthzError`,
//! `InputError`, `InternalError` …), which answer for themselves through
//! [`DomainError::nested`](crate::error::DomainError::nested). From that one table the
//! macro writes the whole [`DomainError`](crate::error::DomainError) impl and wires the
//! enum to both edges (`domain_error!`), so every enum answers the same way.

/// Declares a capability's error enum and implements
/// [`DomainError`](crate::error::DomainError) for it.
///
/// Each own variant ends in `=> (Kind, "code")`: its [`ErrorKind`](crate::error::ErrorKind)
/// and stable machine code. Each `nested` entry adds a variant
/// `#[error(transparent)] Name(#[from] Type)` after them that answers with the carried
/// error's kind, code, details, retry time and Chinese sentence; an enum with nested
/// errors also gets `From<sqlx::Error>` through its nested
/// [`InternalError`](crate::error::InternalError) variant (which every such enum has).
/// An enum whose own variants carry details or a retry time names a function
/// `fn(&Self) -> Option<serde_json::Value>` after `details =` and
/// `fn(&Self) -> Option<u64>` after `retry_after =`; one whose own variants carry their
/// sentence in Chinese (for the console's zh-CN pages) names a function
/// `fn(&Self) -> Option<Cow<'_, str>>` after `message_zh =` (the three in this order).
///
/// The enum also gets `pub const CODES: &[&str]`: its own variants' codes in the order
/// they are declared (a code shared by several variants is listed once per variant;
/// nested errors list theirs in their own type), so a test can walk every code a
/// capability may answer with.
///
/// The derive of `thiserror::Error` and the `#[error(transparent)]` above `nested` are
/// written in the call, not by the macro: thiserror binds names (`.0` in a message, the
/// transparent source) with the spans of those tokens, which must be the caller's.
///
/// ```ignore
/// crate::error_enum! {
///     /// What can go wrong with units.
///     #[derive(Debug, thiserror::Error)]
///     pub enum TenancyError {
///         #[error("a unit with this name already exists")]
///         UnitExists { name: String } => (Conflict, "unit_exists"),
///     }
///     #[error(transparent)]
///     nested {
///         Authz(AuthzError),
///         Internal(InternalError),
///     }
///     details = details;
/// }
/// ```
#[macro_export]
macro_rules! error_enum {
    // `From<sqlx::Error>` for an enum with nested errors (it carries `InternalError`).
    (@sqlx $name:ident) => {};
    (@sqlx $name:ident $transparent:meta) => {
        impl From<sqlx::Error> for $name {
            fn from(e: sqlx::Error) -> Self {
                $crate::error::InternalError::from(e).into()
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$($own_attr:tt)*])*
                $own:ident $(($($tuple:tt)*))? $({$($fields:tt)*})? => ($kind:ident, $code:literal)
            ),* $(,)?
        }
        $(
            #[$transparent:meta]
            nested {
                $($(#[$nested_meta:meta])* $nested:ident($nested_type:ty)),+ $(,)?
            }
        )?
        $(details = $details:path;)?
        $(retry_after = $retry_after:path;)?
        $(message_zh = $message_zh:path;)?
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                $(#[$($own_attr)*])*
                $own $(($($tuple)*))? $({$($fields)*})?,
            )*
            $($(
                $(#[$nested_meta])*
                #[$transparent]
                $nested(#[from] $nested_type),
            )+)?
        }

        impl $name {
            /// The codes of this enum's own variants, in declaration order (nested
            /// errors list theirs in their own type).
            pub const CODES: &'static [&'static str] = &[$($code),*];
        }

        impl $crate::error::DomainError for $name {
            $(
                fn nested(&self) -> Option<&dyn $crate::error::DomainError> {
                    #[allow(unreachable_patterns)]
                    match self {
                        $($name::$nested(e) => Some(e),)+
                        _ => None,
                    }
                }
            )?

            #[allow(unreachable_patterns)]
            fn own_kind(&self) -> $crate::error::ErrorKind {
                match self {
                    $($name::$own { .. } => $crate::error::ErrorKind::$kind,)*
                    // Nested errors answer through `nested`.
                    _ => $crate::error::ErrorKind::Internal,
                }
            }

            #[allow(unreachable_patterns)]
            fn own_code(&self) -> &'static str {
                match self {
                    $($name::$own { .. } => $code,)*
                    // Nested errors answer through `nested`.
                    _ => "internal",
                }
            }

            $(
                fn own_details(&self) -> Option<serde_json::Value> {
                    $details(self)
                }
            )?

            $(
                fn own_retry_after(&self) -> Option<u64> {
                    $retry_after(self)
                }
            )?

            $(
                fn own_message_zh(&self) -> Option<std::borrow::Cow<'_, str>> {
                    $message_zh(self)
                }
            )?
        }

        $crate::error_enum!(@sqlx $name $($transparent)?);
        $crate::domain_error!($name);
    };
}
