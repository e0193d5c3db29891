//! One way to declare a capability's error enum: [`error_enum!`](crate::error_enum!).
//!
//! A capability's enum has its own variants (what went wrong in its own words) and
//! variants that carry another capability's error unchanged (`AuthzError`,
//! `InputError`, `InternalError` …), which answer for themselves through
//! [`DomainError::nested`](crate::error::DomainError::nested). The macro writes the
//! second kind from a list, so every enum carries them the same way.

/// Declares a capability's error enum.
///
/// The variants written in the enum are its own. Each `nested` entry adds a variant
/// `#[error(transparent)] Name(#[from] Type)` after them. The derive of
/// `thiserror::Error` and the `#[error(transparent)]` above `nested` are written in the
/// call, not by the macro: thiserror binds names (`.0` in a message, the transparent
/// source) with the spans of those tokens, which must be the caller's. The enum also gets
/// `nested_error()`, the carried error if it is one (what its
/// [`DomainError::nested`](crate::error::DomainError::nested) returns), and
/// `From<sqlx::Error>` through its nested [`InternalError`](crate::error::InternalError)
/// variant (which every such enum has). `domain_error!` still wires it to the edges.
///
/// ```ignore
/// crate::error_enum! {
///     /// What can go wrong with units.
///     #[derive(Debug, thiserror::Error)]
///     pub enum TenancyError {
///         #[error("a unit with this name already exists")]
///         UnitExists,
///     }
///     #[error(transparent)]
///     nested {
///         Authz(AuthzError),
///         Internal(InternalError),
///     }
/// }
/// ```
#[macro_export]
macro_rules! error_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($own:tt)*
        }
        #[$transparent:meta]
        nested {
            $($(#[$nested_meta:meta])* $nested:ident($nested_type:ty)),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $($own)*
            $(
                $(#[$nested_meta])*
                #[$transparent]
                $nested(#[from] $nested_type),
            )+
        }

        impl $name {
            /// The other capability's error this one carries unchanged, if it is one.
            fn nested_error(&self) -> Option<&dyn $crate::error::DomainError> {
                #[allow(unreachable_patterns)]
                match self {
                    $($name::$nested(e) => Some(e),)+
                    _ => None,
                }
            }
        }

        impl From<sqlx::Error> for $name {
            fn from(e: sqlx::Error) -> Self {
                $crate::error::InternalError::from(e).into()
            }
        }
    };
}
