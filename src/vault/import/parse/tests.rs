use calamine::Data;

use super::grid::Cell;
use super::xlsx::{float_text, xlsx_cell};
use super::*;

fn csv(text: &str) -> ParsedFile {
    parse_bytes(text.as_bytes(), FileKind::Csv).unwrap()
}

#[test]
fn chinese_and_english_headers_map_to_fields() {
    let p = csv(
        "名称,平台,登录名,密码,级别,备注\n区政府公众号,微信公众号,gov@qq.com,Pw-1,核心,\"a, b\"\n",
    );
    assert_eq!(p.encoding, "UTF-8");
    assert_eq!(p.rows.len(), 1);
    let r = &p.rows[0];
    assert_eq!(r.row, 2);
    assert_eq!(r.name, "区政府公众号");
    assert_eq!(r.platform, "微信公众号");
    assert_eq!(r.password.as_str(), "Pw-1");
    assert_eq!(r.classification, "核心");
    assert_eq!(r.notes, "a, b");
    let p = csv("Name , PLATFORM,Login Name,password\nx,weibo,y,z\n");
    assert_eq!(
        p.columns,
        vec![
            Field::Name,
            Field::Platform,
            Field::LoginName,
            Field::Password
        ]
    );
}

#[test]
fn missing_unknown_and_duplicate_columns_are_one_error() {
    let e = parse_bytes("名称,登录名,口令,名称\nx,y,z,w\n".as_bytes(), FileKind::Csv).unwrap_err();
    let ImportError::Columns {
        missing,
        unknown,
        duplicate,
        header_row,
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(*header_row, 1);
    assert_eq!(missing, &vec![Field::Platform, Field::Password]);
    assert_eq!(unknown, &vec!["口令 (C)".to_string()]);
    assert_eq!(duplicate, &vec!["名称 (D)".to_string()]);
    let msg = e.to_string();
    assert!(
        msg.contains("平台/platform") && msg.contains("密码/password"),
        "{msg}"
    );
    assert!(msg.contains("known columns"), "{msg}");
}

#[test]
fn bom_and_gb18030_are_detected() {
    let text = "名称,平台,登录名,密码\n区政府微博,微博,13800000000,Pw\n";
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.as_bytes());
    let p = parse_bytes(&bom, FileKind::Csv).unwrap();
    assert_eq!(p.encoding, "UTF-8 (BOM)");
    assert_eq!(
        p.columns[0],
        Field::Name,
        "the BOM is not part of the first header"
    );
    let (gbk, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    assert!(std::str::from_utf8(&gbk).is_err());
    let p = parse_bytes(&gbk, FileKind::Csv).unwrap();
    assert_eq!(p.encoding, "GB18030");
    assert_eq!(p.rows[0].name, "区政府微博");
    assert_eq!(p.rows[0].platform, "微博");
    assert_eq!(p.format(), "CSV, GB18030");
    // Neither UTF-8 nor GB18030 (0x80 alone is not a GB18030 lead byte; 0xFF never is).
    assert!(matches!(
        decode_text(&[b'a', 0xFF, 0xFF]),
        Err(ImportError::File { .. })
    ));
    assert!(matches!(
        decode_text(&[0xFF, 0xFE, b'a', 0]),
        Err(ImportError::File { .. })
    ));
}

#[test]
fn row_numbers_count_like_a_spreadsheet() {
    let p = csv("name,platform,login_name,password,notes\n\
                 a,weibo,x,p,\"two\nlines\"\n\
                 \n\
                 b,weibo,y,q,\n\
                 ,,,,\n\
                 c,weibo,z,r,\r\n");
    let rows: Vec<(usize, &str)> = p.rows.iter().map(|r| (r.row, r.name.as_str())).collect();
    assert_eq!(rows, vec![(2, "a"), (4, "b"), (6, "c")]);
    assert_eq!(p.rows[0].notes, "two\nlines");
    // Windows line ends throughout, a cell with a line break, no final line end.
    let p = csv("name,platform,login_name,password,notes\r\n\
                 a,weibo,x,p,\"two\r\nlines\"\r\n\
                 \r\n\
                 b,weibo,y,q,\r\n\
                 c,weibo,z,r,");
    let rows: Vec<(usize, &str)> = p.rows.iter().map(|r| (r.row, r.name.as_str())).collect();
    assert_eq!(rows, vec![(2, "a"), (4, "b"), (5, "c")]);
}

#[test]
fn a_title_row_above_the_header_is_skipped() {
    let p = csv("区网信办账号清单,,,\nname,platform,login_name,password\na,weibo,x,p\n");
    assert_eq!(p.rows.len(), 1);
    assert_eq!((p.rows[0].row, p.rows[0].name.as_str()), (3, "a"));
    let p = csv("sep=,\nname,platform,login_name,password\na,weibo,x,p\n");
    assert_eq!(p.rows[0].row, 3);
    // A one-column header is still a header (and then misses columns).
    let e = parse_bytes(b"name\na\n", FileKind::Csv).unwrap_err();
    assert!(
        matches!(e, ImportError::Columns { header_row: 1, .. }),
        "{e:?}"
    );
}

#[test]
fn cells_without_header_are_reported_and_empty_ones_ignored() {
    let p = csv("name,platform,login_name,password,\na,weibo,x,p,\nb,weibo,y,q,oops\n");
    assert!(p.rows[0].cell_problems.is_empty());
    assert_eq!(p.rows[1].cell_problems.len(), 1);
    assert!(p.rows[1].cell_problems[0].1.contains("column E"));
    assert!(
        p.rows[1].cell_problems[0]
            .2
            .contains("第 E 列有内容但没有表头")
    );
    // More cells than the header.
    let p = csv("name,platform,login_name,password\na,weibo,x,p,extra\n");
    assert_eq!(p.rows[0].cell_problems.len(), 1);
}

#[test]
fn passwords_are_kept_verbatim_other_cells_trimmed() {
    let p = csv("name,platform,login_name,password\n a ,weibo, x ,\" p w \"\n");
    assert_eq!(p.rows[0].name, "a");
    assert_eq!(p.rows[0].login_name, "x");
    assert_eq!(p.rows[0].password.as_str(), " p w ");
    let shown = format!("{p:?}");
    assert!(
        !shown.contains(" p w "),
        "Debug never shows a password: {shown}"
    );
    assert!(shown.contains("[redacted]") && shown.contains("login_name: \"x\""));
}

#[test]
fn empty_file_and_header_only() {
    assert!(matches!(
        parse_bytes(b"", FileKind::Csv),
        Err(ImportError::File { .. })
    ));
    let p = csv("name,platform,login_name,password\n");
    assert!(p.rows.is_empty());
}

#[test]
fn numbers_from_xlsx_keep_their_digits() {
    assert_eq!(float_text(13_800_000_000.0), "13800000000");
    assert_eq!(float_text(123456.0), "123456");
    assert_eq!(float_text(0.5), "0.5");
    assert_eq!(float_text(-7.0), "-7");
    assert!(
        matches!(xlsx_cell(&Data::Float(1.38e10)), Cell::Text(s) if s.as_str() == "13800000000")
    );
    assert!(matches!(xlsx_cell(&Data::Int(42)), Cell::Text(s) if s.as_str() == "42"));
    assert!(matches!(
        xlsx_cell(&Data::Error(calamine::CellErrorType::NA)),
        Cell::Bad(_)
    ));
}

#[test]
fn not_a_workbook() {
    assert!(matches!(
        parse_bytes(b"PK\x03\x04garbage", FileKind::Xlsx),
        Err(ImportError::File { .. })
    ));
}
