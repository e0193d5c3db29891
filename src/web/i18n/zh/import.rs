//! 简体中文：从表格导入账号（上传、检查报告、导入）。

pub static MESSAGES: &[(&str, &str)] = &[
    ("import.link", "从表格导入"),
    ("import.title", "从表格导入账号"),
    (
        "import.intro",
        "把本单位已有账号的清单（CSV 或 Excel 的 XLSX）一次录入。上传后先逐行检查、不写入任何内容；检查通过后，再确认导入。",
    ),
    ("import.file", "表格文件（CSV 或 XLSX，不超过 {mb} MB）"),
    (
        "import.dry_run_note",
        "CSV 可以是 UTF-8 或 GBK/GB18030 编码（Excel 另存为的两种 CSV 都可以）；XLSX 只读第一个工作表。",
    ),
    ("import.check", "检查文件"),
    ("import.columns", "表格的列"),
    (
        "import.header_rule",
        "第一行非空的行是表头（其上方只有一个单元格的标题行会被跳过）。表头用中文或英文都可以，不区分大小写，列的顺序不限。",
    ),
    ("import.header_zh", "中文表头"),
    ("import.header_en", "英文表头"),
    ("import.meaning", "说明"),
    ("import.required", "必填。"),
    (
        "import.help.name",
        "账号名称，最多 100 个字，在本单位和文件内都不能重复。",
    ),
    (
        "import.help.platform",
        "平台：微信公众号、微信小程序、微博、抖音、今日头条、快手、哔哩哔哩（B站）、小红书、邮箱、域名注册商、云控制台、政府网站（网站后台）、其他。",
    ),
    ("import.help.login_name", "登录名，最多 200 个字符。"),
    (
        "import.help.password",
        "账号现在的密码，原样保存（不去空格）。弱密码照样导入，但会标记为弱密码。",
    ),
    (
        "import.help.classification",
        "级别：核心、重要或一般；不填为“重要”。",
    ),
    ("import.help.login_url", "可选，登录地址，最多 500 个字符。"),
    ("import.help.bound_phone", "可选，绑定的手机号。"),
    ("import.help.bound_email", "可选，绑定的邮箱。"),
    (
        "import.help.notes",
        "可选，备注，最多 2000 个字，可以换行。",
    ),
    (
        "import.rules",
        "行号与表格软件中显示的一致（表头是第 1 行）。任何一行有问题，整个文件都不会导入；全部通过后，所有账号在一次操作中写入，并记入审计日志。",
    ),
    ("import.col.name", "名称"),
    ("import.col.platform", "平台"),
    ("import.col.login_name", "登录名"),
    ("import.col.password", "密码"),
    ("import.col.classification", "级别"),
    ("import.col.login_url", "登录地址"),
    ("import.col.bound_phone", "绑定手机"),
    ("import.col.bound_email", "绑定邮箱"),
    ("import.col.notes", "备注"),
    ("import.whole_row", "整行"),
    ("import.report_title", "导入检查结果"),
    ("import.again", "← 重新选择文件"),
    ("import.file_name", "文件"),
    ("import.format", "格式"),
    ("import.rows", "检查的行数"),
    ("import.weak", "标记为弱密码"),
    ("import.reused", "密码重复使用"),
    ("import.imported", "已导入"),
    ("import.file_refused", "这个文件不能导入："),
    (
        "import.fix_and_retry",
        "请修改文件后重新上传。没有写入任何内容。",
    ),
    ("import.problems", "需要修改的地方"),
    (
        "import.problems_lead",
        "共 {problems} 个问题，涉及 {rows} 行；没有导入任何内容。请修改文件后重新上传。",
    ),
    ("import.row", "行"),
    ("import.column", "列"),
    ("import.message", "说明"),
    (
        "import.clean",
        "全部 {rows} 行都可以导入。目前还没有写入任何内容。",
    ),
    ("import.confirm", "导入 {n} 个账号"),
    (
        "import.confirm_note",
        "检查结果 15 分钟内有效，过期后请重新上传文件。导入时会把整个文件再检查一遍。",
    ),
    ("import.warnings", "提示"),
    (
        "import.warnings_note",
        "这些提示不会阻止导入：弱密码和重复使用的密码照样导入，并标记为弱密码，请尽快修改。",
    ),
    (
        "import.done_warnings_note",
        "以下账号的密码已标记为弱密码，请尽快修改。",
    ),
    ("import.done_title", "导入完成"),
    ("import.done", "已向 {unit} 导入 {n} 个账号。"),
    ("import.to_list", "查看该单位的账号"),
    ("import.no_file", "请选择要导入的文件。"),
    (
        "import.too_large",
        "文件太大（超过 {mb} MB）。请把清单分成几个文件分别导入。",
    ),
    (
        "import.sealed_invalid",
        "这次检查结果无法使用：它被改动过、属于另一次登录，或系统密钥已更换。没有写入任何内容，请重新上传文件。",
    ),
    (
        "import.sealed_expired",
        "检查结果已超过 15 分钟。没有写入任何内容，请重新上传文件。",
    ),
    ("error.no_rows", "文件只有表头，没有数据行。"),
    // Why the services refused, by error code.
    (
        "error.unreadable_file",
        "文件无法读取，请检查文件的格式和编码。",
    ),
    (
        "error.bad_columns",
        "表头不对：缺少必填列，或有无法识别、重复的列。请对照模板修改表头。",
    ),
    ("error.unit_not_found", "找不到这个单位。"),
    (
        "error.invalid_rows",
        "文件中有些行有问题，没有导入任何内容。",
    ),
];
