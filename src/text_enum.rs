//! One way to map a state enum to the TEXT column that stores it: [`text_enum!`].
//!
//! The macro gives the enum `as_str()` (the stored text), `parse()` (the way back,
//! `None` for text no variant owns), `ALL`, `Display`, and serde/utoipa derives that
//! use the same texts. Rust code compares enum values, never the texts; SQL binds
//! `as_str()` and reads rows through `parse()`.

/// Declares an enum whose variants each own one TEXT value.
///
/// The texts must be the variants' names in snake_case: utoipa cannot read a
/// per-variant `rename` through the macro, so the schema takes its names from
/// `rename_all = "snake_case"` (each enum's unit test holds the two equal).
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            ::serde::Serialize,
            ::serde::Deserialize,
            utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored TEXT value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant that owns `s`, if any.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    use crate::identity::UserStatus;
    use crate::vault::{AccountStatus, Classification, Platform, RotationState, VersionState};

    /// The OpenAPI enum lists exactly the stored texts, serde sends them, and every
    /// text parses back to its variant.
    fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: PartialSchema + serde::Serialize + PartialEq + std::fmt::Debug + Copy,
    {
        let v = serde_json::to_value(T::schema()).unwrap_or_default();
        let documented: Vec<String> = v["enum"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let texts: Vec<String> = all.iter().map(|x| as_str(*x).to_string()).collect();
        assert_eq!(documented, texts);
        for x in all {
            assert_eq!(
                serde_json::to_value(x).unwrap_or_default(),
                serde_json::json!(as_str(*x))
            );
            assert_eq!(parse(as_str(*x)), Some(*x));
        }
        assert_eq!(parse("no-such-state"), None);
    }

    #[test]
    fn every_text_enum_round_trips_through_its_texts() {
        check(Platform::ALL, Platform::as_str, Platform::parse);
        check(
            Classification::ALL,
            Classification::as_str,
            Classification::parse,
        );
        check(
            AccountStatus::ALL,
            AccountStatus::as_str,
            AccountStatus::parse,
        );
        check(VersionState::ALL, VersionState::as_str, VersionState::parse);
        check(
            RotationState::ALL,
            RotationState::as_str,
            RotationState::parse,
        );
        check(UserStatus::ALL, UserStatus::as_str, UserStatus::parse);
    }
}
