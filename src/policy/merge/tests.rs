use serde_json::json;

use super::*;
use crate::policy::CharClass;
use crate::policy::overrides::Overrides;
use crate::policy::rules;

fn presets() -> PolicySet {
    PolicySet::load(None).unwrap()
}

fn base() -> Policy {
    presets().get("district-default").unwrap().clone()
}

fn layer(id: &str, preset: Option<&str>, overrides: Value) -> UnitSettings {
    UnitSettings {
        unit_id: id.into(),
        unit_name: format!("单位{id}"),
        preset: preset.map(str::to_string),
        overrides: Overrides::parse(overrides.as_object().unwrap()).unwrap(),
        updated_at: 0,
        updated_by: None,
    }
}

fn run(layers: &[UnitSettings], target: &str, strict: bool) -> Result<Resolved, ResolveError> {
    resolve(&base(), &presets(), layers, &target.into(), strict)
}

#[test]
fn no_settings_is_the_configured_preset() {
    let r = run(&[], "x", false).unwrap();
    assert_eq!(r.policy, base());
    assert!(r.sources.values().all(|s| s == "preset:district-default"));
    assert_eq!(
        r.sources.len(),
        3 + rules::all_keys().count(),
        "meta has three keys"
    );
}

#[test]
fn values_flow_down_and_children_tighten() {
    let layers = [
        layer(
            "r",
            None,
            json!({ "account_password": { "min_length": 14 }, "rotation": { "max_age_days_core": 60 } }),
        ),
        layer(
            "a",
            None,
            json!({ "account_password": { "min_length": 16, "min_score": 4 } }),
        ),
    ];
    // A grandchild without settings of its own.
    let r = run(&layers, "g", false).unwrap();
    assert_eq!(r.policy.account_password.min_length, 16);
    assert_eq!(r.policy.account_password.min_score, 4);
    assert_eq!(r.policy.rotation.max_age_days_core, 60);
    assert_eq!(r.policy.rotation.max_age_days_general, 365);
    assert_eq!(r.sources["account_password.min_length"], "unit:a (单位a)");
    assert_eq!(r.sources["rotation.max_age_days_core"], "unit:r (单位r)");
    assert_eq!(
        r.sources["rotation.max_age_days_general"],
        "preset:district-default"
    );
    assert_eq!(r.sources["lockout.max_failures"], "preset:district-default");
    // The same value again is no new source: the floor stays where it was set.
    let layers = [
        layer(
            "r",
            None,
            json!({ "account_password": { "min_length": 14 } }),
        ),
        layer(
            "a",
            None,
            json!({ "account_password": { "min_length": 14 } }),
        ),
    ];
    let r = run(&layers, "a", true).unwrap();
    assert_eq!(r.sources["account_password.min_length"], "unit:r (单位r)");
}

#[test]
fn loosening_a_floor_is_refused_when_saving_and_ignored_when_reading() {
    let layers = [
        layer(
            "r",
            None,
            json!({ "rotation": { "max_age_days_core": 60 } }),
        ),
        layer(
            "a",
            None,
            json!({ "rotation": { "max_age_days_core": 90 }, "account_password": { "history_depth": 12 } }),
        ),
    ];
    let Err(ResolveError::Floor(e)) = run(&layers, "a", true) else {
        panic!("floor not enforced")
    };
    assert_eq!(e.key, "rotation.max_age_days_core");
    assert_eq!(e.value, json!(90));
    assert_eq!(e.inherited, json!(60));
    assert_eq!(e.source.unit_id(), Some("r"));
    // Reading (the parent tightened after the child saved): the floor wins.
    let r = run(&layers, "a", false).unwrap();
    assert_eq!(r.policy.rotation.max_age_days_core, 60);
    assert_eq!(r.policy.account_password.history_depth, 12);
    assert_eq!(
        r.shadowed,
        vec![Shadowed {
            key: "rotation.max_age_days_core".into(),
            value: json!(90),
            in_force: json!(60),
            source: "unit:r (单位r)".into()
        }]
    );
    // Below the configured preset, too.
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "required_classes": ["lower"] } }),
    )];
    let Err(ResolveError::Floor(e)) = run(&layers, "a", true) else {
        panic!("floor not enforced")
    };
    assert_eq!(e.source, Source::Configured("district-default".into()));
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "forbid_unit_reuse": false } }),
    )];
    assert!(matches!(
        run(&layers, "a", true),
        Err(ResolveError::Floor(_))
    ));
}

#[test]
fn a_chosen_preset_applies_only_where_stricter() {
    let layers = [layer("a", Some("nist-800-63b"), json!({}))];
    let r = run(&layers, "a", true).unwrap();
    let ap = &r.policy.account_password;
    assert_eq!(ap.min_length, 15, "nist is longer");
    assert_eq!(
        ap.required_classes.len(),
        4,
        "nist requires no classes: looser, ignored"
    );
    assert_eq!(
        r.policy.rotation.max_age_days_core, 90,
        "nist's ten years is looser"
    );
    assert_eq!(r.policy.generator.length, 24);
    assert_eq!(
        r.sources["account_password.min_length"],
        "unit:a preset:nist-800-63b"
    );
    assert_eq!(r.sources["generator.length"], "unit:a preset:nist-800-63b");
    assert_eq!(
        r.sources["rotation.max_age_days_core"],
        "preset:district-default"
    );
    assert_eq!(
        r.policy.lockout,
        base().lockout,
        "login sections stay global"
    );
    // Overrides of the same unit are checked against its preset too.
    let layers = [layer(
        "a",
        Some("mlps-level3"),
        json!({ "rotation": { "max_age_days_general": 365 } }),
    )];
    let Err(ResolveError::Floor(e)) = run(&layers, "a", true) else {
        panic!("own preset is a floor for own overrides")
    };
    assert_eq!(e.inherited, json!(180));
    let layers = [layer("a", Some("no-such"), json!({}))];
    assert!(matches!(
        run(&layers, "a", true),
        Err(ResolveError::Invalid(_))
    ));
    // A preset that disappeared from disk is skipped when reading.
    assert_eq!(run(&layers, "a", false).unwrap().policy, base());
}

#[test]
fn stricter_min_length_raises_the_generator_and_the_bound() {
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "min_length": 200, "max_length": 200 } }),
    )];
    let r = run(&layers, "a", true).unwrap();
    assert_eq!(r.policy.generator.length, 200);
    assert_eq!(
        r.sources["generator.length"],
        "unit:a (单位a); raised to match account_password.min_length"
    );
    // Without an explicit bound the bound follows.
    let layers = [layer(
        "a",
        None,
        json!({ "generator": { "length": 300 }, "account_password": { "min_length": 256 } }),
    )];
    let r = run(&layers, "a", false).unwrap();
    assert_eq!(r.policy.account_password.max_length, 300);
    // Explicit values that do not fit are refused when saving.
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "min_length": 24, "max_length": 20 } }),
    )];
    let Err(ResolveError::Invalid(e)) = run(&layers, "a", true) else {
        panic!("max below min accepted")
    };
    assert_eq!(e.key.as_deref(), Some("account_password.max_length"));
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "max_length": 16 } }),
    )];
    assert!(
        matches!(run(&layers, "a", true), Err(ResolveError::Invalid(_))),
        "below generator.length 20"
    );
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "max_length": 64 } }),
    )];
    assert_eq!(
        run(&layers, "a", true)
            .unwrap()
            .policy
            .account_password
            .max_length,
        64
    );
}

#[test]
fn required_classes_widen_the_generator() {
    let mut b = base();
    b.account_password.required_classes = vec![];
    b.generator.classes = vec![CharClass::Lower, CharClass::Upper, CharClass::Digit];
    let layers = [layer(
        "a",
        None,
        json!({ "account_password": { "required_classes": ["symbol"] } }),
    )];
    let r = resolve(&b, &presets(), &layers, &"a".into(), true).unwrap();
    assert_eq!(r.policy.generator.classes, CharClass::ALL.to_vec());
    assert!(
        r.sources["generator.classes"]
            .contains("raised to match account_password.required_classes")
    );
    // An explicit generator set that leaves a required class out is refused.
    let layers = [layer(
        "a",
        None,
        json!({
            "account_password": { "required_classes": ["lower", "upper", "digit", "symbol"] },
            "generator": { "classes": ["lower", "upper", "digit"] }
        }),
    )];
    let Err(ResolveError::Invalid(e)) = resolve(&b, &presets(), &layers, &"a".into(), true) else {
        panic!("generator without a required class accepted")
    };
    assert!(e.message.contains("symbol"), "{}", e.message);
}

#[test]
fn keys_named_here_are_in_the_table() {
    for k in [
        "account_password.min_length",
        "account_password.max_length",
        "account_password.required_classes",
        "generator.length",
        "generator.classes",
    ] {
        assert!(rules::find_dotted(k).is_some(), "{k}");
    }
}

#[test]
fn free_keys_go_either_way() {
    let layers = [layer(
        "a",
        None,
        json!({ "generator": { "exclude_ambiguous": false } }),
    )];
    let r = run(&layers, "a", true).unwrap();
    assert!(!r.policy.generator.exclude_ambiguous);
    assert_eq!(r.sources["generator.exclude_ambiguous"], "unit:a (单位a)");
}
