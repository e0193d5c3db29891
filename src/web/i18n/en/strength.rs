//! English: a password check's reasons and suggestions (rotation wizard, weak
//! passwords in an import). Every zxcvbn warning and suggestion has its sentence.

pub static MESSAGES: &[(&str, &str)] = &[
    (
        "strength.note.too_short",
        "Use at least {min} characters (this one has {has}).",
    ),
    ("strength.note.too_long", "Use at most {max} characters."),
    ("strength.note.missing_lower", "Include a lowercase letter."),
    (
        "strength.note.missing_upper",
        "Include an uppercase letter.",
    ),
    ("strength.note.missing_digit", "Include a digit."),
    ("strength.note.missing_symbol", "Include a symbol."),
    (
        "strength.note.score_below",
        "Strength score {score} is below the required {min}.",
    ),
    (
        "strength.note.reused_history",
        "This password was used for this account within its last {depth} versions.",
    ),
    (
        "strength.note.reused_unit",
        "Another account of this unit already uses this password.",
    ),
    (
        "strength.warning.straight_rows",
        "Straight rows of keys are easy to guess.",
    ),
    (
        "strength.warning.short_keyboard_patterns",
        "Short keyboard patterns are easy to guess.",
    ),
    (
        "strength.warning.repeats_aaa",
        "Repeats like \"aaa\" are easy to guess.",
    ),
    (
        "strength.warning.repeats_abcabc",
        "Repeats like \"abcabcabc\" are only slightly harder to guess than \"abc\".",
    ),
    (
        "strength.warning.top10",
        "This is a top-10 common password.",
    ),
    (
        "strength.warning.top100",
        "This is a top-100 common password.",
    ),
    ("strength.warning.common", "This is a very common password."),
    (
        "strength.warning.similar_common",
        "This is similar to a commonly used password.",
    ),
    (
        "strength.warning.sequences",
        "Sequences like abc or 6543 are easy to guess.",
    ),
    (
        "strength.warning.recent_years",
        "Recent years are easy to guess.",
    ),
    (
        "strength.warning.single_word",
        "A word by itself is easy to guess.",
    ),
    ("strength.warning.dates", "Dates are often easy to guess."),
    (
        "strength.warning.names",
        "Names and surnames by themselves are easy to guess.",
    ),
    (
        "strength.warning.common_names",
        "Common names and surnames are easy to guess.",
    ),
    (
        "strength.suggestion.few_words",
        "Use a few words, avoid common phrases.",
    ),
    (
        "strength.suggestion.no_need_for_symbols",
        "No need for symbols, digits, or uppercase letters.",
    ),
    (
        "strength.suggestion.another_word",
        "Add another word or two. Uncommon words are better.",
    ),
    (
        "strength.suggestion.capitalization",
        "Capitalization doesn't help very much.",
    ),
    (
        "strength.suggestion.all_uppercase",
        "All-uppercase is almost as easy to guess as all-lowercase.",
    ),
    (
        "strength.suggestion.reversed",
        "Reversed words aren't much harder to guess.",
    ),
    (
        "strength.suggestion.substitutions",
        "Predictable substitutions like '@' instead of 'a' don't help very much.",
    ),
    (
        "strength.suggestion.longer_keyboard_pattern",
        "Use a longer keyboard pattern with more turns.",
    ),
    (
        "strength.suggestion.avoid_repeats",
        "Avoid repeated words and characters.",
    ),
    ("strength.suggestion.avoid_sequences", "Avoid sequences."),
    (
        "strength.suggestion.avoid_recent_years",
        "Avoid recent years.",
    ),
    (
        "strength.suggestion.avoid_your_years",
        "Avoid years that are associated with you.",
    ),
    (
        "strength.suggestion.avoid_your_dates",
        "Avoid dates and years that are associated with you.",
    ),
];
