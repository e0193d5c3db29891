//! A password check's reasons and suggestions ([`StrengthNote`]) in the reader's
//! language: the rotation wizard's live feedback and refusals, and the import's weak
//! password warnings. Every zxcvbn warning and suggestion has its own sentence (the
//! matches are exhaustive: a new variant in zxcvbn does not compile until it is worded).

use crate::policy::CharClass;
use crate::policy::StrengthNote;
use crate::policy::strength_note::{Suggestion, Warning};
use crate::web::i18n::Tr;

/// `notes` as sentences, in order.
pub fn sentences(tr: Tr, notes: &[StrengthNote]) -> Vec<String> {
    notes.iter().map(|n| sentence(tr, n)).collect()
}

pub fn sentence(tr: Tr, note: &StrengthNote) -> String {
    match *note {
        StrengthNote::TooShort { min, has } => tr.f(
            "strength.note.too_short",
            [
                ("min", min.to_string().as_str()),
                ("has", has.to_string().as_str()),
            ],
        ),
        StrengthNote::TooLong { max } => tr.f(
            "strength.note.too_long",
            [("max", max.to_string().as_str())],
        ),
        StrengthNote::MissingClass(class) => missing(tr, class).to_string(),
        StrengthNote::Warning(w) => warning(tr, w).to_string(),
        StrengthNote::Suggestion(s) => suggestion(tr, s).to_string(),
        StrengthNote::ScoreBelow { score, min } => tr.f(
            "strength.note.score_below",
            [
                ("score", score.to_string().as_str()),
                ("min", min.to_string().as_str()),
            ],
        ),
        StrengthNote::ReusedInHistory { depth } => tr.f(
            "strength.note.reused_history",
            [("depth", depth.to_string().as_str())],
        ),
        StrengthNote::ReusedInUnit => tr.t("strength.note.reused_unit").to_string(),
    }
}

fn missing(tr: Tr, class: CharClass) -> &'static str {
    match class {
        CharClass::Lower => tr.t("strength.note.missing_lower"),
        CharClass::Upper => tr.t("strength.note.missing_upper"),
        CharClass::Digit => tr.t("strength.note.missing_digit"),
        CharClass::Symbol => tr.t("strength.note.missing_symbol"),
    }
}

fn warning(tr: Tr, w: Warning) -> &'static str {
    match w {
        Warning::StraightRowsOfKeysAreEasyToGuess => tr.t("strength.warning.straight_rows"),
        Warning::ShortKeyboardPatternsAreEasyToGuess => {
            tr.t("strength.warning.short_keyboard_patterns")
        }
        Warning::RepeatsLikeAaaAreEasyToGuess => tr.t("strength.warning.repeats_aaa"),
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            tr.t("strength.warning.repeats_abcabc")
        }
        Warning::ThisIsATop10Password => tr.t("strength.warning.top10"),
        Warning::ThisIsATop100Password => tr.t("strength.warning.top100"),
        Warning::ThisIsACommonPassword => tr.t("strength.warning.common"),
        Warning::ThisIsSimilarToACommonlyUsedPassword => tr.t("strength.warning.similar_common"),
        Warning::SequencesLikeAbcAreEasyToGuess => tr.t("strength.warning.sequences"),
        Warning::RecentYearsAreEasyToGuess => tr.t("strength.warning.recent_years"),
        Warning::AWordByItselfIsEasyToGuess => tr.t("strength.warning.single_word"),
        Warning::DatesAreOftenEasyToGuess => tr.t("strength.warning.dates"),
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => tr.t("strength.warning.names"),
        Warning::CommonNamesAndSurnamesAreEasyToGuess => tr.t("strength.warning.common_names"),
    }
}

fn suggestion(tr: Tr, s: Suggestion) -> &'static str {
    match s {
        Suggestion::UseAFewWordsAvoidCommonPhrases => tr.t("strength.suggestion.few_words"),
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => {
            tr.t("strength.suggestion.no_need_for_symbols")
        }
        Suggestion::AddAnotherWordOrTwo => tr.t("strength.suggestion.another_word"),
        Suggestion::CapitalizationDoesntHelpVeryMuch => tr.t("strength.suggestion.capitalization"),
        Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => {
            tr.t("strength.suggestion.all_uppercase")
        }
        Suggestion::ReversedWordsArentMuchHarderToGuess => tr.t("strength.suggestion.reversed"),
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch => {
            tr.t("strength.suggestion.substitutions")
        }
        Suggestion::UseALongerKeyboardPatternWithMoreTurns => {
            tr.t("strength.suggestion.longer_keyboard_pattern")
        }
        Suggestion::AvoidRepeatedWordsAndCharacters => tr.t("strength.suggestion.avoid_repeats"),
        Suggestion::AvoidSequences => tr.t("strength.suggestion.avoid_sequences"),
        Suggestion::AvoidRecentYears => tr.t("strength.suggestion.avoid_recent_years"),
        Suggestion::AvoidYearsThatAreAssociatedWithYou => {
            tr.t("strength.suggestion.avoid_your_years")
        }
        Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => {
            tr.t("strength.suggestion.avoid_your_dates")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    /// Every zxcvbn variant (kept in step with the exhaustive matches above: a variant
    /// missing here is caught by `every_variant_is_listed`).
    const WARNINGS: [Warning; 14] = [
        Warning::StraightRowsOfKeysAreEasyToGuess,
        Warning::ShortKeyboardPatternsAreEasyToGuess,
        Warning::RepeatsLikeAaaAreEasyToGuess,
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        Warning::ThisIsATop10Password,
        Warning::ThisIsATop100Password,
        Warning::ThisIsACommonPassword,
        Warning::ThisIsSimilarToACommonlyUsedPassword,
        Warning::SequencesLikeAbcAreEasyToGuess,
        Warning::RecentYearsAreEasyToGuess,
        Warning::AWordByItselfIsEasyToGuess,
        Warning::DatesAreOftenEasyToGuess,
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess,
        Warning::CommonNamesAndSurnamesAreEasyToGuess,
    ];
    const SUGGESTIONS: [Suggestion; 13] = [
        Suggestion::UseAFewWordsAvoidCommonPhrases,
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters,
        Suggestion::AddAnotherWordOrTwo,
        Suggestion::CapitalizationDoesntHelpVeryMuch,
        Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase,
        Suggestion::ReversedWordsArentMuchHarderToGuess,
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch,
        Suggestion::UseALongerKeyboardPatternWithMoreTurns,
        Suggestion::AvoidRepeatedWordsAndCharacters,
        Suggestion::AvoidSequences,
        Suggestion::AvoidRecentYears,
        Suggestion::AvoidYearsThatAreAssociatedWithYou,
        Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou,
    ];

    /// A variant's position in the lists above; adding a variant to zxcvbn makes this
    /// match (and `warning`/`suggestion`) fail to compile until both are updated.
    fn warning_index(w: Warning) -> usize {
        match w {
            Warning::StraightRowsOfKeysAreEasyToGuess => 0,
            Warning::ShortKeyboardPatternsAreEasyToGuess => 1,
            Warning::RepeatsLikeAaaAreEasyToGuess => 2,
            Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => 3,
            Warning::ThisIsATop10Password => 4,
            Warning::ThisIsATop100Password => 5,
            Warning::ThisIsACommonPassword => 6,
            Warning::ThisIsSimilarToACommonlyUsedPassword => 7,
            Warning::SequencesLikeAbcAreEasyToGuess => 8,
            Warning::RecentYearsAreEasyToGuess => 9,
            Warning::AWordByItselfIsEasyToGuess => 10,
            Warning::DatesAreOftenEasyToGuess => 11,
            Warning::NamesAndSurnamesByThemselvesAreEasyToGuess => 12,
            Warning::CommonNamesAndSurnamesAreEasyToGuess => 13,
        }
    }

    fn suggestion_index(s: Suggestion) -> usize {
        match s {
            Suggestion::UseAFewWordsAvoidCommonPhrases => 0,
            Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => 1,
            Suggestion::AddAnotherWordOrTwo => 2,
            Suggestion::CapitalizationDoesntHelpVeryMuch => 3,
            Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => 4,
            Suggestion::ReversedWordsArentMuchHarderToGuess => 5,
            Suggestion::PredictableSubstitutionsDontHelpVeryMuch => 6,
            Suggestion::UseALongerKeyboardPatternWithMoreTurns => 7,
            Suggestion::AvoidRepeatedWordsAndCharacters => 8,
            Suggestion::AvoidSequences => 9,
            Suggestion::AvoidRecentYears => 10,
            Suggestion::AvoidYearsThatAreAssociatedWithYou => 11,
            Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => 12,
        }
    }

    #[test]
    fn every_variant_is_listed() {
        for (i, w) in WARNINGS.iter().enumerate() {
            assert_eq!(warning_index(*w), i, "{w:?}");
        }
        for (i, s) in SUGGESTIONS.iter().enumerate() {
            assert_eq!(suggestion_index(*s), i, "{s:?}");
        }
    }

    fn all_notes() -> Vec<StrengthNote> {
        let mut notes = vec![
            StrengthNote::TooShort { min: 12, has: 5 },
            StrengthNote::TooLong { max: 128 },
            StrengthNote::ScoreBelow { score: 1, min: 3 },
            StrengthNote::ReusedInHistory { depth: 10 },
            StrengthNote::ReusedInUnit,
        ];
        notes.extend(CharClass::ALL.map(StrengthNote::MissingClass));
        notes.extend(WARNINGS.map(StrengthNote::Warning));
        notes.extend(SUGGESTIONS.map(StrengthNote::Suggestion));
        notes
    }

    /// Every note has a sentence of its own in both languages: Chinese on zh-CN pages,
    /// the numbers filled in, no two notes worded alike.
    #[test]
    fn every_note_is_worded_in_both_languages() {
        for lang in [Lang::ZhCn, Lang::En] {
            let mut seen = std::collections::HashSet::new();
            for note in all_notes() {
                let s = sentence(Tr(lang), &note);
                assert!(s != "?" && !s.contains('{'), "{lang:?} {note:?}: {s}");
                assert!(
                    seen.insert(s.clone()),
                    "{lang:?} {note:?} worded twice: {s}"
                );
                let chinese = s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                assert_eq!(chinese, lang == Lang::ZhCn, "{lang:?} {note:?}: {s}");
            }
        }
        let zh = sentence(Tr(Lang::ZhCn), &StrengthNote::TooShort { min: 12, has: 5 });
        assert!(zh.contains("12") && zh.contains('5'), "{zh}");
    }
}
