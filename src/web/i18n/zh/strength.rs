//! 简体中文：密码检查的原因和建议（修改密码向导、导入时的弱口令提示）。zxcvbn 的每条
//! 警告和建议各有一句。

pub static MESSAGES: &[(&str, &str)] = &[
    (
        "strength.note.too_short",
        "密码至少 {min} 个字符（现为 {has} 个）。",
    ),
    ("strength.note.too_long", "密码最多 {max} 个字符。"),
    ("strength.note.missing_lower", "须包含小写字母。"),
    ("strength.note.missing_upper", "须包含大写字母。"),
    ("strength.note.missing_digit", "须包含数字。"),
    ("strength.note.missing_symbol", "须包含符号。"),
    (
        "strength.note.score_below",
        "强度为 {score} 级，低于要求的 {min} 级。",
    ),
    (
        "strength.note.reused_history",
        "该账号最近 {depth} 个版本中用过这个密码。",
    ),
    (
        "strength.note.reused_unit",
        "本单位另一个账号正在使用这个密码。",
    ),
    (
        "strength.warning.straight_rows",
        "键盘上连成一排的按键很容易被猜到。",
    ),
    (
        "strength.warning.short_keyboard_patterns",
        "键盘上相邻按键组成的简短图案很容易被猜到。",
    ),
    (
        "strength.warning.repeats_aaa",
        "“aaa”这样的重复字符很容易被猜到。",
    ),
    (
        "strength.warning.repeats_abcabc",
        "“abcabcabc”这样的重复，只比“abc”稍难猜一点。",
    ),
    ("strength.warning.top10", "这是最常用的 10 个密码之一。"),
    ("strength.warning.top100", "这是最常用的 100 个密码之一。"),
    ("strength.warning.common", "这是非常常见的密码。"),
    ("strength.warning.similar_common", "这与常用密码相近。"),
    (
        "strength.warning.sequences",
        "abc、6543 这样的连续字符很容易被猜到。",
    ),
    (
        "strength.warning.recent_years",
        "近几年的年份很容易被猜到。",
    ),
    ("strength.warning.single_word", "单独一个词很容易被猜到。"),
    ("strength.warning.dates", "日期往往很容易被猜到。"),
    ("strength.warning.names", "单独使用姓名很容易被猜到。"),
    ("strength.warning.common_names", "常见的姓名很容易被猜到。"),
    (
        "strength.suggestion.few_words",
        "建议用几个词组合，避免常见短语。",
    ),
    (
        "strength.suggestion.no_need_for_symbols",
        "不一定要用符号、数字或大写字母。",
    ),
    (
        "strength.suggestion.another_word",
        "再加一两个词，少见的词更好。",
    ),
    (
        "strength.suggestion.capitalization",
        "改成大写字母帮助不大。",
    ),
    (
        "strength.suggestion.all_uppercase",
        "全部大写和全部小写几乎一样容易被猜到。",
    ),
    (
        "strength.suggestion.reversed",
        "把词倒过来写，并不难猜多少。",
    ),
    (
        "strength.suggestion.substitutions",
        "用“@”代替“a”这类容易想到的替换，帮助不大。",
    ),
    (
        "strength.suggestion.longer_keyboard_pattern",
        "如用键盘图案，请用更长、转折更多的。",
    ),
    ("strength.suggestion.avoid_repeats", "避免重复的词和字符。"),
    (
        "strength.suggestion.avoid_sequences",
        "避免连续的字母或数字。",
    ),
    (
        "strength.suggestion.avoid_recent_years",
        "避免使用近几年的年份。",
    ),
    (
        "strength.suggestion.avoid_your_years",
        "避免使用与本人有关的年份。",
    ),
    (
        "strength.suggestion.avoid_your_dates",
        "避免使用与本人有关的日期和年份。",
    ),
];
