//! Kernel-style layout of C text: tabs of eight columns, 80-column lines,
//! continuation lines aligned after the open parenthesis, kernel-doc comments.

use super::decl::FnPointer;

/// The kernel's line limit.
pub(super) const COLUMNS: usize = 80;

const TAB: usize = 8;

/// The display width of `line`, with tabs expanded to eight columns.
pub(super) fn width(line: &str) -> usize {
    line.chars().fold(0, |col, c| {
        if c == '\t' {
            (col / TAB + 1) * TAB
        } else {
            col + 1
        }
    })
}

/// Tabs and spaces that reach column `col` from the start of a line.
fn indent_to(col: usize) -> String {
    format!("{}{}", "\t".repeat(col / TAB), " ".repeat(col % TAB))
}

/// A function-pointer member at one tab of indentation, its parameters
/// packed into lines of at most 80 columns and aligned after the open
/// parenthesis; when that alignment leaves no room, the parameters start on
/// the next line two tabs in, as the kernel does for long prototypes.
pub(super) fn fn_pointer_member(f: &FnPointer) -> String {
    wrapped(&format!("\t{}(*{})(", f.prefix(), f.name), &f.params, ");")
}

/// `head` (which ends with the open parenthesis) followed by `params` and
/// `end`, laid out as [`fn_pointer_member`] lays out a member: a function
/// definition's first line (`static int f(`, `)`) or a declaration's
/// (`int f(`, `);`).
pub(super) fn wrapped(head: &str, params: &[String], end: &str) -> String {
    if params.is_empty() {
        return format!("{head}void{end}\n");
    }
    let aligned = width(head);
    let longest = params.iter().map(|p| p.len() + 2).max().unwrap_or(0);
    if aligned + longest <= COLUMNS {
        pack(head, &indent_to(aligned), params, end)
    } else {
        pack(&format!("{head}\n\t\t"), "\t\t", params, end)
    }
}

/// Packs `params` after `first`, starting a new line (with `indent`) only
/// when the next parameter would pass column 80; `last` closes the list.
fn pack(first: &str, indent: &str, params: &[String], last: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_owned();
    let mut line_has_param = false;
    for (i, param) in params.iter().enumerate() {
        let end = if i + 1 == params.len() { last } else { "," };
        let sep = if line_has_param { " " } else { "" };
        if line_has_param && width(&format!("{line}{sep}{param}{end}")) > COLUMNS {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_owned();
            line_has_param = false;
        }
        let sep = if line_has_param { " " } else { "" };
        line.push_str(&format!("{sep}{param}{end}"));
        line_has_param = true;
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// A kernel-doc comment at `indent`: `/**`, the text behind ` * ` and `*/`.
///
/// Text that is already broken into lines (docs taken from a C comment)
/// keeps its lines; a single-paragraph text is wrapped at 80 columns.
pub(super) fn doc_comment(indent: &str, text: &str) -> String {
    let text = text.replace("*/", "* /");
    let prefix = format!("{indent} * ");
    let lines: Vec<String> = if text.contains('\n') {
        text.lines().map(str::to_owned).collect()
    } else {
        wrap(&text, COLUMNS.saturating_sub(width(&prefix)))
    };
    let mut out = format!("{indent}/**\n");
    for line in lines {
        if line.trim().is_empty() {
            out.push_str(&format!("{indent} *\n"));
        } else {
            out.push_str(&format!("{prefix}{}\n", line.trim_end()));
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// Greedy word wrap at `limit` columns (a longer word gets a line of its own).
pub(super) fn wrap(text: &str, limit: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > limit {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c::decl::{CDecl, parse};

    fn member(text: &str) -> String {
        match parse(text) {
            Ok(CDecl::FnPointer(f)) => fn_pointer_member(&f),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn short_prototype_stays_on_one_line() {
        assert_eq!(
            member("void (*drain_rq)(struct ib_qp *qp);"),
            "\tvoid (*drain_rq)(struct ib_qp *qp);\n"
        );
    }

    #[test]
    fn long_prototype_aligns_after_the_parenthesis() {
        // Laid out exactly as the seed patch lays it out.
        assert_eq!(
            member(
                "int (*post_send)(struct ib_qp *qp, const struct ib_send_wr *send_wr, const struct ib_send_wr **bad_send_wr);"
            ),
            "\tint (*post_send)(struct ib_qp *qp, const struct ib_send_wr *send_wr,\n\
             \t\t\t const struct ib_send_wr **bad_send_wr);\n"
        );
    }

    #[test]
    fn no_room_after_the_parenthesis_breaks_before_the_parameters() {
        let text = member(
            "struct ib_flow_action *(*create_flow_action_esp)(struct ib_device *device, const struct ib_flow_action_attrs_esp *attr, struct uverbs_attr_bundle *attrs);",
        );
        assert!(
            text.starts_with(
                "\tstruct ib_flow_action *(*create_flow_action_esp)(\n\t\tstruct ib_device *device,"
            ),
            "{text}"
        );
        assert!(text.lines().all(|l| width(l) <= COLUMNS), "{text}");
    }

    #[test]
    fn every_line_fits_in_80_columns_when_it_can() {
        let text = member(
            "int (*process_mad)(struct ib_device *device, int process_mad_flags, u8 port_num, const struct ib_wc *in_wc, const struct ib_grh *in_grh, const struct ib_mad_hdr *in_mad, size_t in_mad_size, struct ib_mad_hdr *out_mad, size_t *out_mad_size, u16 *out_mad_pkey_index);",
        );
        assert!(text.lines().all(|l| width(l) <= COLUMNS), "{text}");
        assert_eq!(text.matches(',').count(), 9);
    }

    #[test]
    fn tabs_count_eight_columns() {
        assert_eq!(width("\tint"), 11);
        assert_eq!(width("ab\tc"), 9);
    }

    #[test]
    fn doc_comments_wrap_and_close_safely() {
        let text = doc_comment("\t", &"word ".repeat(40));
        assert!(text.lines().all(|l| width(l) <= COLUMNS));
        assert!(text.starts_with("\t/**\n\t * word"));
        assert!(text.ends_with("\t */\n"));
        assert!(!doc_comment("", "a */ b").contains("a */"));
    }
}
