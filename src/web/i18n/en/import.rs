//! English: importing accounts from a spreadsheet (upload, check report, import).

pub static MESSAGES: &[(&str, &str)] = &[
    ("import.link", "Import from a spreadsheet"),
    ("import.title", "Import accounts from a spreadsheet"),
    (
        "import.intro",
        "Enter a unit's existing accounts at once from a list (CSV, or an Excel XLSX workbook). The file is first checked row by row and nothing is written; when the check passes, you confirm the import.",
    ),
    ("import.file", "Spreadsheet (CSV or XLSX, up to {mb} MB)"),
    (
        "import.dry_run_note",
        "CSV may be UTF-8 or GBK/GB18030 (both kinds of CSV Excel saves); in an XLSX workbook only the first sheet is read.",
    ),
    ("import.check", "Check the file"),
    ("import.columns", "The spreadsheet's columns"),
    (
        "import.header_rule",
        "The first non-empty row is the header (a one-cell title row above it is skipped). Headers may be Chinese or English, in any case and any order.",
    ),
    ("import.header_zh", "Chinese header"),
    ("import.header_en", "English header"),
    ("import.meaning", "Meaning"),
    ("import.required", "Required."),
    (
        "import.help.name",
        "The account's name, up to 100 characters, unique in the unit and in the file.",
    ),
    (
        "import.help.platform",
        "The platform: WeChat official account (微信公众号), WeChat mini-program (微信小程序), Weibo (微博), Douyin (抖音), Toutiao (今日头条), Kuaishou (快手), Bilibili (哔哩哔哩/B站), Xiaohongshu (小红书), e-mail (邮箱), domain registrar (域名注册商), cloud console (云控制台), government website (政府网站/网站后台), other (其他) — or its code, such as wechat_official.",
    ),
    (
        "import.help.login_name",
        "The login name, up to 200 characters.",
    ),
    (
        "import.help.password",
        "The account's current password, kept exactly as written (spaces included). A weak password is imported all the same and flagged weak.",
    ),
    (
        "import.help.classification",
        "Core (核心), important (重要) or general (一般); empty means important.",
    ),
    (
        "import.help.login_url",
        "Optional: the login address, up to 500 characters.",
    ),
    (
        "import.help.bound_phone",
        "Optional: the phone number the account is bound to.",
    ),
    (
        "import.help.bound_email",
        "Optional: the e-mail address the account is bound to.",
    ),
    (
        "import.help.notes",
        "Optional: notes, up to 2000 characters, may span lines.",
    ),
    (
        "import.rules",
        "Row numbers are those your spreadsheet shows (the header is row 1). A problem in any row stops the whole file; when every row passes, all accounts are written in one step and recorded in the audit trail.",
    ),
    ("import.col.name", "name"),
    ("import.col.platform", "platform"),
    ("import.col.login_name", "login name"),
    ("import.col.password", "password"),
    ("import.col.classification", "classification"),
    ("import.col.login_url", "login URL"),
    ("import.col.bound_phone", "bound phone"),
    ("import.col.bound_email", "bound e-mail"),
    ("import.col.notes", "notes"),
    ("import.whole_row", "whole row"),
    ("import.report_title", "Import check"),
    ("import.again", "← Choose another file"),
    ("import.file_name", "File"),
    ("import.format", "Format"),
    ("import.rows", "Rows checked"),
    ("import.weak", "Flagged weak"),
    ("import.reused", "Reused passwords"),
    ("import.imported", "Imported"),
    ("import.file_refused", "This file cannot be imported:"),
    (
        "import.fix_and_retry",
        "Correct the file and upload it again. Nothing was written.",
    ),
    ("import.problems", "What to correct"),
    (
        "import.problems_lead",
        "{problems} problem(s) in {rows} row(s); nothing was imported. Correct the file and upload it again.",
    ),
    ("import.row", "Row"),
    ("import.column", "Column"),
    ("import.message", "What is wrong"),
    (
        "import.clean",
        "All {rows} rows can be imported. Nothing has been written yet.",
    ),
    ("import.confirm", "Import {n} accounts"),
    (
        "import.confirm_note",
        "This check stays valid for 15 minutes; after that, upload the file again. The import checks the whole file once more.",
    ),
    ("import.warnings", "Warnings"),
    (
        "import.warnings_note",
        "These do not stop the import: weak and reused passwords are imported and flagged weak; change them soon.",
    ),
    (
        "import.done_warnings_note",
        "These accounts' passwords were flagged weak; change them soon.",
    ),
    ("import.done_title", "Imported"),
    ("import.done", "{n} accounts imported into {unit}."),
    ("import.to_list", "See the unit's accounts"),
    ("import.no_file", "Choose the file to import."),
    (
        "import.too_large",
        "The file is too large (over {mb} MB). Split the list into several files and import each.",
    ),
    (
        "import.sealed_invalid",
        "This check cannot be used: it was altered, belongs to another sign-in, or the system key changed. Nothing was written; upload the file again.",
    ),
    (
        "import.sealed_expired",
        "This check is more than 15 minutes old. Nothing was written; upload the file again.",
    ),
    ("error.no_rows", "The file has a header but no data rows."),
    // Why the services refused, by error code.
    (
        "error.unreadable_file",
        "The file cannot be read; check its format and encoding.",
    ),
    (
        "error.bad_columns",
        "The header row is not right: a required column is missing, or a column is unknown or repeated. Compare it with the template.",
    ),
    ("error.unit_not_found", "Unit not found."),
    (
        "error.invalid_rows",
        "Some rows of the file have problems; nothing was imported.",
    ),
];
