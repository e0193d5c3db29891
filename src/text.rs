//! Validated text: the one place that trims, bounds and screens what people type into
//! names, notes and reasons. Each newtype's `parse(field, raw)` trims, counts characters
//! (not bytes, so 「发布通知」 is four) and answers 422 `invalid_input` naming the field.

use std::fmt;

use crate::error::InputError;

/// Which control characters a kind of text may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Controls {
    /// None: one-line names and identifiers.
    Rejected,
    /// Line breaks only: multi-line notes.
    NewlinesOnly,
    /// Any: free text that is only stored and shown escaped.
    Allowed,
}

/// The bounds of a kind of text, in characters after trimming.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub min: usize,
    pub max: usize,
    pub controls: Controls,
}

impl Rule {
    /// The trimmed text, or 422 `invalid_input` naming `field`.
    pub fn check(&self, field: &str, raw: &str) -> Result<String, InputError> {
        let v = raw.trim();
        let n = v.chars().count();
        let bad_char = match self.controls {
            Controls::Rejected => v.chars().any(char::is_control),
            Controls::NewlinesOnly => v.chars().any(|c| c.is_control() && c != '\n'),
            Controls::Allowed => false,
        };
        if n < self.min || n > self.max || bad_char {
            return Err(InputError::field(field, self.message(field)));
        }
        Ok(v.to_string())
    }

    fn message(&self, field: &str) -> String {
        let (min, max) = (self.min, self.max);
        let kind = match self.controls {
            Controls::Allowed => "characters",
            _ => "printable characters",
        };
        if min == 0 {
            format!("{field} must be at most {max} {kind}")
        } else {
            format!("{field} must be {min} to {max} {kind}")
        }
    }
}

macro_rules! text_types {
    ($($(#[$doc:meta])* $name:ident($min:expr, $max:expr, $controls:ident);)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const RULE: Rule = Rule { min: $min, max: $max, controls: Controls::$controls };

            /// The trimmed text, or 422 `invalid_input` naming `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
                Self::RULE.check(field, raw).map(Self)
            }

            /// Like `parse`, but absent or blank is `None`.
            pub fn parse_optional(field: &str, raw: Option<&str>) -> Result<Option<Self>, InputError> {
                match raw {
                    Some(r) if !r.trim().is_empty() => Self::parse(field, r).map(Some),
                    _ => Ok(None),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    )+};
}

text_types! {
    /// The name of a unit, an account or an API token: 1 to 100 printable characters.
    Name(1, 100, Rejected);
    /// A person's name as shown: 1 to 64 printable characters.
    DisplayName(1, 64, Rejected);
    /// The login of an account on its platform: 1 to 200 printable characters.
    LoginName(1, 200, Rejected);
    /// Why something sensitive is done (recorded in the audit trail): 4 to 500 characters.
    Reason(4, 500, Allowed);
    /// What was done to complete a handover step: 2 to 1000 characters.
    Evidence(2, 1000, Allowed);
    /// What a unit did to fix a finding (整改情况), submitted for review: 2 to 2000
    /// characters, line breaks allowed.
    RectificationEvidence(2, 2000, NewlinesOnly);
    /// A short remark on a handover step: at most 1000 characters.
    Note(0, 1000, Allowed);
    /// Longer notes kept with an account: at most 2000 characters, line breaks allowed.
    LongNote(0, 2000, NewlinesOnly);
    /// A telephone number: at most 32 printable characters.
    Phone(0, 32, Rejected);
    /// An e-mail address: at most 254 printable characters.
    Email(0, 254, Rejected);
    /// A web address: at most 500 printable characters.
    Url(0, 500, Rejected);
    /// An organisation's own code for a unit: at most 64 printable characters.
    UnitCode(0, 64, Rejected);
    /// The title of a publication (an article, a post): at most 200 printable characters.
    Title(0, 200, Rejected);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: InputError) -> String {
        e.message
    }

    #[test]
    fn trims_and_keeps_the_inside() {
        assert_eq!(
            Name::parse("name", "  门户 网站 \t").unwrap().as_str(),
            "门户 网站"
        );
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(Name::parse("name", "").is_err());
        assert!(Name::parse("name", "   ").is_err());
        assert!(Name::parse("name", "a").is_ok());
        assert!(Name::parse("name", &"a".repeat(100)).is_ok());
        assert!(Name::parse("name", &"a".repeat(101)).is_err());
        assert!(Reason::parse("reason", "abc").is_err());
        assert!(Reason::parse("reason", "  abcd  ").is_ok());
        assert!(Reason::parse("reason", &"x".repeat(501)).is_err());
    }

    #[test]
    fn cjk_counts_characters_not_bytes() {
        // Four characters, twelve bytes.
        assert!(Reason::parse("reason", "发布通知").is_ok());
        assert!(Reason::parse("reason", "年检").is_err());
        // 64 CJK characters are 192 bytes and still a valid display name.
        assert!(DisplayName::parse("display_name", &"张".repeat(64)).is_ok());
        assert!(DisplayName::parse("display_name", &"张".repeat(65)).is_err());
    }

    #[test]
    fn control_characters() {
        assert!(Name::parse("name", "a\u{0}b").is_err());
        assert!(LoginName::parse("login_name", "a\nb").is_err());
        assert_eq!(
            LongNote::parse("notes", "line 1\nline 2").unwrap().as_str(),
            "line 1\nline 2"
        );
        assert!(LongNote::parse("notes", "a\u{7}b").is_err());
        assert!(Reason::parse("reason", "why\tnot").is_ok());
    }

    #[test]
    fn optional_blank_is_none() {
        assert_eq!(Phone::parse_optional("phone", None).unwrap(), None);
        assert_eq!(Phone::parse_optional("phone", Some("  ")).unwrap(), None);
        assert_eq!(
            Phone::parse_optional("phone", Some(" 123 ")).unwrap(),
            Some(Phone("123".into()))
        );
        assert!(Phone::parse_optional("phone", Some(&"1".repeat(33))).is_err());
    }

    #[test]
    fn messages_name_the_field_and_the_bounds() {
        let e = DisplayName::parse("display_name", "").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("display_name"));
        assert_eq!(
            message(e),
            "display_name must be 1 to 64 printable characters"
        );
        let e = Email::parse("email", "a\u{0}").unwrap_err();
        assert_eq!(message(e), "email must be at most 254 printable characters");
        let e = Evidence::parse("evidence", "x").unwrap_err();
        assert_eq!(message(e), "evidence must be 2 to 1000 characters");
    }
}
