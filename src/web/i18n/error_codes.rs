//! Every code a service may refuse with can be shown on a zh-CN page: the console has
//! a sentence for it (`error.<code>`, in both catalogues), or every error answering
//! with it carries its own Chinese sentence (`DomainError::message_zh`), or it is an
//! internal failure the page words as `error.internal`.

use std::collections::BTreeSet;

use super::{all, zh};
use crate::audit::AuditError;
use crate::authz::AuthzError;
use crate::calendar::CalendarError;
use crate::crypto::KeyringError;
use crate::error::{DomainError, ErrorKind, InputError, InternalError};
use crate::freshness::FreshnessError;
use crate::handover::HandoverError;
use crate::identity::{HashError, IdentityError};
use crate::inspection::InspectionError;
use crate::jobs::JobsError;
use crate::notify::NotifyError;
use crate::outbound::{AddressClass, OutboundError};
use crate::policy::UnitPolicyError;
use crate::rectification::RectificationError;
use crate::risk::RiskError;
use crate::tenancy::TenancyError;
use crate::vault::VaultError;
use crate::vault::import::ImportError;

/// Every error type that implements `DomainError`, with the codes it answers with.
const ENUMS: &[(&str, &[&str])] = &[
    ("AuditError", AuditError::CODES),
    ("AuthzError", AuthzError::CODES),
    ("CalendarError", CalendarError::CODES),
    ("FreshnessError", FreshnessError::CODES),
    ("HandoverError", HandoverError::CODES),
    ("HashError", HashError::CODES),
    ("IdentityError", IdentityError::CODES),
    ("ImportError", ImportError::CODES),
    ("InputError", InputError::CODES),
    ("InspectionError", InspectionError::CODES),
    ("InternalError", InternalError::CODES),
    ("JobsError", JobsError::CODES),
    ("KeyringError", KeyringError::CODES),
    ("NotifyError", NotifyError::CODES),
    ("OutboundError", OutboundError::CODES),
    ("RectificationError", RectificationError::CODES),
    ("RiskError", RiskError::CODES),
    ("TenancyError", TenancyError::CODES),
    ("UnitPolicyError", UnitPolicyError::CODES),
    ("VaultError", VaultError::CODES),
];

/// Codes whose every error carries its own Chinese sentence, so no fixed text could
/// say what they say (which field, which bound, which host): invalid input (every
/// `InputError` built, `error::tests`; the own variants that share the code,
/// [`own_variants_that_share_a_code_carry_their_sentence`]) and the addresses the
/// outbound rule refuses.
const CARRIED: &[&str] = &[
    "invalid_input",
    "bad_request",
    "invalid_url",
    "scheme_not_allowed",
    "destination_refused",
];

/// Internal failures: whatever the code, the page says `error.internal` and the cause
/// goes to the log ([`internal_codes_are_internal`]).
const INTERNAL: &[&str] = &["job_failed", "job_lease_lost"];

#[test]
fn every_error_code_can_be_shown_in_chinese() {
    let keys: BTreeSet<&str> = all(zh::PARTS).map(|(k, _)| k).collect();
    let mut missing = Vec::new();
    let mut codes = BTreeSet::new();
    for (name, own) in ENUMS {
        for code in *own {
            codes.insert(*code);
            let shown = keys.contains(format!("error.{code}").as_str())
                || CARRIED.contains(code)
                || INTERNAL.contains(code);
            if !shown {
                missing.push(format!("{name}: {code}"));
            }
        }
    }
    assert!(codes.len() > 70, "too few codes walked: {}", codes.len());
    assert!(
        missing.is_empty(),
        "codes with no zh-CN sentence (add error.<code> to both catalogues, or carry \
         a Chinese sentence with message_zh): {missing:?}"
    );
}

#[test]
fn own_variants_that_share_a_code_carry_their_sentence() {
    let carried: Vec<Box<dyn DomainError>> = vec![
        Box::new(AuthzError::SysadminToken),
        Box::new(HandoverError::IdempotencyKeyInvalid),
        Box::new(HandoverError::SuccessorIsLeaver),
        Box::new(HandoverError::NoSuchAction {
            action: "rotate".into(),
            available: "complete".into(),
        }),
        Box::new(HandoverError::UnknownChecklistEntry),
        Box::new(OutboundError::InvalidUrl),
        Box::new(OutboundError::SchemeNotAllowed {
            scheme: "ftp".into(),
        }),
        Box::new(OutboundError::DestinationRefused {
            host: "10.0.0.1".into(),
            class: AddressClass::Private,
        }),
    ];
    for e in &carried {
        assert!(CARRIED.contains(&e.code()), "{e:?}");
        let zh = e.message_zh();
        assert!(
            zh.is_some_and(|z| !z.is_empty()),
            "{e:?} has no zh sentence"
        );
    }
}

#[test]
fn internal_codes_are_internal() {
    let run = JobsError::RunFailed {
        job: "inspect".into(),
        reason: "x".into(),
    };
    let lease = JobsError::LeaseLost("inspect".into());
    for e in [run, lease] {
        assert!(INTERNAL.contains(&e.code()));
        assert_eq!(e.kind(), ErrorKind::Internal);
    }
}
