//! `import-c`: find `struct NAME { ... }` in any text (a header, a patch, a
//! mail) and turn its members into an `ops.toml` skeleton.
//!
//! Only the struct's body has to be C. Comments are dropped from
//! declarations and the one right before a member becomes its doc;
//! preprocessor lines are tracked so a member under `#ifdef` is marked as
//! such; multi-line prototypes, pointer-returning function pointers and
//! function-pointer parameters are handled by [`super::decl`]. Whatever
//! cannot be parsed is reported with its line number; nothing is skipped.

use std::fmt;

use super::decl::{self, CDecl, FnPointer};
use super::lexer::{self, Kind, Token};
use crate::schema::{AttrKind, MemberPolicy};

/// The members of one imported struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The struct name.
    pub struct_name: String,
    /// The members in declaration order.
    pub members: Vec<ImportedMember>,
}

/// One member of the imported struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedMember {
    /// The parsed declaration.
    pub decl: CDecl,
    /// The comment right before the member, without its comment markers.
    pub doc: Option<String>,
    /// The line (1-based) where the declaration starts.
    pub line: usize,
    /// The preprocessor conditions the member is under, outermost first.
    pub conditions: Vec<String>,
}

/// What could not be imported, each with its line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportErrors {
    /// `(line, message)` pairs in input order; line 0 means the whole input.
    pub errors: Vec<(usize, String)>,
}

impl ImportErrors {
    /// `FILE:LINE: error: message` lines (`FILE: error: ...` for the whole
    /// input), capped and escaped, then the count.
    ///
    /// # Errors
    /// As the formatter's.
    pub fn write_located(&self, f: &mut fmt::Formatter<'_>, file: &str) -> fmt::Result {
        let lines = self.errors.iter().map(|(line, message)| match line {
            0 => format!("{file}: error: {message}"),
            _ => format!("{file}:{line}: error: {message}"),
        });
        crate::diagnostic::write_capped(f, lines)?;
        let n = self.errors.len();
        write!(f, "{n} error{} in {file}", crate::diagnostic::plural(n))
    }
}

/// `line N: message` lines, capped and escaped.
impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.errors.iter().map(|(line, message)| match line {
            0 => message.clone(),
            _ => format!("line {line}: {message}"),
        });
        crate::diagnostic::write_capped(f, lines)
    }
}

impl std::error::Error for ImportErrors {}

/// Finds `struct struct_name { ... }` in `text` and parses its members.
///
/// # Errors
/// The struct is not found or not closed, or members cannot be parsed
/// (every such member is reported, with its line).
pub fn import(text: &str, struct_name: &str) -> Result<Imported, ImportErrors> {
    let tokens = lexer::tokens(text);
    let Some(body) = find_struct(&tokens, struct_name) else {
        return Err(ImportErrors {
            errors: vec![(0, format!("no `struct {struct_name} {{` found"))],
        });
    };
    let mut scanner = Scanner::default();
    scanner.run(&tokens[body..], text.lines().count().max(1));
    if scanner.errors.is_empty() {
        Ok(Imported {
            struct_name: struct_name.to_owned(),
            members: scanner.members,
        })
    } else {
        Err(ImportErrors {
            errors: scanner.errors,
        })
    }
}

/// The index of the first token after the `{` of `struct name {`, if
/// present (comments may stand between the three).
fn find_struct(tokens: &[Token<'_>], name: &str) -> Option<usize> {
    let code: Vec<usize> = (0..tokens.len())
        .filter(|&i| tokens[i].kind != Kind::Comment)
        .collect();
    code.windows(3).find_map(|w| {
        let [s, n, open] = [w[0], w[1], w[2]].map(|i| &tokens[i]);
        (s.is_ident("struct") && n.is_ident(name) && open.is('{')).then_some(w[2] + 1)
    })
}

/// One pass over the tokens of the struct body.
#[derive(Default)]
struct Scanner {
    members: Vec<ImportedMember>,
    errors: Vec<(usize, String)>,
    /// The comment waiting for the next member.
    doc: Option<String>,
    /// Open preprocessor conditions.
    conditions: Vec<(usize, String)>,
    /// The line on which the previous member ended.
    last_member_line: usize,
}

impl Scanner {
    /// Reads members up to the struct's closing `}`; `last_line` is where
    /// the input ends, for a struct that is not closed.
    fn run(&mut self, body: &[Token<'_>], last_line: usize) {
        let mut decl: Vec<Token<'_>> = Vec::new();
        let mut braces = 0usize;
        for token in body {
            match token.kind {
                Kind::Comment => {
                    if !is_closed_comment(token.text) {
                        self.errors
                            .push((token.line, "comment is not closed".to_owned()));
                        return;
                    }
                    if decl.is_empty() {
                        let comment = comment_text(token.text);
                        self.comment_before_member(token.line, comment);
                    }
                }
                Kind::Directive => self.directive(token.text, token.line),
                _ if token.is('}') && braces == 0 => {
                    if let Some(first) = decl.first() {
                        let text = lexer::join(&decl);
                        self.errors
                            .push((first.line, format!("`{text}` has no closing `;`")));
                    }
                    if let Some((line, cond)) = self.conditions.last() {
                        self.errors.push((
                            *line,
                            format!("`{cond}` is not closed by `#endif` inside the struct"),
                        ));
                    }
                    return;
                }
                // A `;` ends a member even inside an unclosed parenthesis,
                // so one broken prototype does not swallow the rest.
                _ if token.is(';') && braces == 0 => {
                    self.member(&decl, token.line);
                    decl.clear();
                }
                _ => {
                    if token.is('{') {
                        braces += 1;
                    } else if token.is('}') {
                        braces -= 1;
                    }
                    decl.push(*token);
                }
            }
        }
        self.errors.push((
            last_line,
            "the struct is not closed: no `}` before the end of the input".to_owned(),
        ));
    }

    /// A comment on the line where a member ended belongs to that member
    /// (it becomes its doc unless it has one); any other comment waits for
    /// the next member.
    fn comment_before_member(&mut self, line: usize, comment: String) {
        if line != self.last_member_line {
            self.doc = Some(comment);
        } else if let Some(last) = self.members.last_mut().filter(|m| m.doc.is_none()) {
            last.doc = Some(comment);
        }
    }

    /// A preprocessor line (with its continuations): conditions are tracked.
    fn directive(&mut self, raw: &str, line: usize) {
        let text = raw.replace("\\\n", " ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let keyword = text.trim_start_matches('#').trim_start();
        let word = keyword.split_whitespace().next().unwrap_or("");
        match word {
            "if" | "ifdef" | "ifndef" => self.conditions.push((line, text.clone())),
            "elif" | "else" => match self.conditions.last_mut() {
                Some((_, cond)) => *cond = format!("{cond} ... {text}"),
                None => self.errors.push((line, format!("`{text}` without `#if`"))),
            },
            // The guard pops the condition; only an unmatched `#endif` errs.
            "endif" if self.conditions.pop().is_none() => {
                self.errors
                    .push((line, "`#endif` without `#if`".to_owned()));
            }
            _ => {}
        }
    }

    /// The member declared by `decl`, whose `;` is on `end_line`.
    fn member(&mut self, decl: &[Token<'_>], end_line: usize) {
        let doc = self.doc.take();
        let Some(first) = decl.first() else {
            return;
        };
        let (text, line) = (lexer::join(decl), first.line);
        if decl.iter().any(|t| t.is('{')) {
            self.errors.push((
                line,
                "a nested struct or union member is not supported".to_owned(),
            ));
            return;
        }
        match decl::parse(&text) {
            Ok(decl) => {
                self.last_member_line = end_line;
                let doc = doc.map(|d| without_kernel_doc_name(&d, decl.name()));
                self.members.push(ImportedMember {
                    decl,
                    doc,
                    line,
                    conditions: self.conditions.iter().map(|(_, c)| c.clone()).collect(),
                });
            }
            Err(e) => self.errors.push((line, e.to_string())),
        }
    }
}

/// A doc without kernel-doc's `@name:` (or `name -`) lead naming the
/// member it documents.
fn without_kernel_doc_name(doc: &str, name: &str) -> String {
    let rest = doc.strip_prefix('@').unwrap_or(doc);
    let stripped = rest
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(':').or_else(|| r.strip_prefix(" -")));
    match stripped {
        Some(r) if !r.trim().is_empty() => r.trim_start().to_owned(),
        _ => doc.to_owned(),
    }
}

/// Whether a comment token is whole: a line comment, or a block comment
/// that reaches its `*/`.
fn is_closed_comment(text: &str) -> bool {
    text.starts_with("//") || (text.len() >= 4 && text.ends_with("*/"))
}

/// A comment's text without its markers: for a block comment the leading
/// `*` of each line and the blank first and last lines removed, relative
/// indentation kept.
fn comment_text(comment: &str) -> String {
    if let Some(line) = comment.strip_prefix("//") {
        return line.trim().to_owned();
    }
    let inner = comment
        .strip_prefix("/*")
        .and_then(|c| c.strip_suffix("*/"))
        .unwrap_or(comment);
    let inner = inner.strip_prefix('*').unwrap_or(inner);
    let lines: Vec<&str> = inner
        .lines()
        .map(|l| {
            let t = l.trim_start();
            match t.strip_prefix('*') {
                Some(after) => after.strip_prefix(' ').unwrap_or(after),
                None => t,
            }
            .trim_end()
        })
        .collect();
    let first = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let last = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(first, |i| i + 1);
    lines[first..last].join("\n")
}

impl Imported {
    /// The `ops.toml` skeleton: every op with its name, doc and C
    /// declaration; what cannot be inferred is marked `TODO`.
    pub fn to_skeleton(&self, source: &str) -> String {
        let mut out = format!(
            "# ops.toml skeleton imported by `ibops-codegen import-c` from `struct {}`\n\
             # in {source}. Fill in every TODO, then run `ibops-codegen generate`.\n\n\
             struct = {}\nmerge = \"keep-first\"\ngroups = [] # TODO: the groups ops belong to\n",
            self.struct_name,
            toml_string(&self.struct_name),
        );
        for member in &self.members {
            out.push('\n');
            for cond in &member.conditions {
                out.push_str(&format!("# only under: {cond}\n"));
            }
            match &member.decl {
                CDecl::Field { name, text } => {
                    out.push_str(&format!(
                        "[[member]]\nname = {}\n{TODO_MEMBER}\
                         # TODO: type, empty, policy ({}) and attr ({})\n",
                        toml_string(name),
                        choices(MemberPolicy::ALL.iter().map(|(n, _)| *n)),
                        choices(AttrKind::ALL.iter().map(|(n, _)| *n)),
                    ));
                    out.push_str(&format!("doc = {}\n", toml_doc(member.doc.as_deref())));
                    out.push_str(&format!("c = {}\n", toml_string(text)));
                }
                CDecl::FnPointer(f) => out.push_str(&op_skeleton(f, member.doc.as_deref())),
                CDecl::ObjSize { name } => out.push_str(&format!(
                    "[[obj_size]]\nname = {}\n{TODO_SIZE}key = \"\" # TODO\ndoc = {}\n",
                    toml_string(name),
                    toml_doc(member.doc.as_deref()),
                )),
            }
        }
        out
    }
}

/// `"a", "b" or "c"`: the names a key takes, from the schema model itself.
fn choices<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|n| format!("\"{n}\"")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

pub(super) fn op_skeleton(f: &FnPointer, doc: Option<&str>) -> String {
    let returns = match f.returns.as_str() {
        "void" => "\"()\"".to_owned(),
        other => format!(
            "\"\" # TODO: the Rust type for `{other}` (`Result<(), Error>` for a status, \
             the data's type when the C result is data)"
        ),
    };
    let params = if f.params.is_empty() {
        "[]".to_owned()
    } else {
        format!("[] # TODO: Rust parameters for: {}", f.params.join(", "))
    };
    format!(
        "[[op]]\nname = {}\n{TODO_OP}group = \"\" # TODO\ndoc = {}\nparams = {params}\nreturns = {returns}\nc = {}\n",
        toml_string(&f.name),
        toml_doc(doc),
        toml_string(&f.to_string()),
    )
}

/// The marker on every skeleton op: the schema loader refuses the entry
/// until a person fills it in and removes the marker.
const TODO_OP: &str =
    "todo = \"the group and the Rust signature (params, returns) of the C prototype\"\n";
/// The marker on every skeleton object size.
const TODO_SIZE: &str =
    "todo = \"the key providers name it by in the derive's obj_size(KEY = Type)\"\n";
/// The marker on every skeleton member.
const TODO_MEMBER: &str =
    "todo = \"the Rust type, its empty value, the merge policy and the attribute kind\"\n";

pub(super) fn toml_doc(doc: Option<&str>) -> String {
    match doc {
        Some(doc) if doc.contains('\n') => format!("\"\"\"\n{}\"\"\"", escape(doc, false) + "\n"),
        Some(doc) => toml_string(doc),
        None => "\"\" # TODO".to_owned(),
    }
}

/// A TOML basic string.
pub(super) fn toml_string(s: &str) -> String {
    format!("\"{}\"", escape(s, true))
}

fn escape(s: &str, escape_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' if !escape_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "
Some mail text mentioning struct demo_ops without a body.
struct demo_ops {
	/* The owner. */
	struct module *owner;
	/**
	 * post_send - posts
	 *   indented detail
	 */
	int (*post_send)(struct ib_qp *qp,
			 const struct ib_send_wr *wr); // trailing
#ifdef CONFIG_NET
	struct net_device *(*get_netdev)(struct ib_device *device,
					 u8 port_num);
#else
	void (*no_net)(void);
#endif
	struct net_device *(*alloc)(struct ib_device *d,
				    void (*setup)(struct net_device *));
	unsigned int flag:1;
};
";

    fn names(imported: &Imported) -> Vec<&str> {
        imported.members.iter().map(|m| m.decl.name()).collect()
    }

    #[test]
    fn members_in_order_with_docs_lines_and_conditions() {
        let imported = import(HEADER, "demo_ops").expect("imports");
        assert_eq!(
            names(&imported),
            [
                "owner",
                "post_send",
                "get_netdev",
                "no_net",
                "alloc",
                "flag"
            ]
        );
        let m = &imported.members;
        assert_eq!(m[0].doc.as_deref(), Some("The owner."));
        // Kernel-doc's `post_send - ` lead is not part of the doc.
        assert_eq!(m[1].doc.as_deref(), Some("posts\n  indented detail"));
        assert_eq!(m[1].line, 10);
        assert_eq!(m[2].conditions, ["#ifdef CONFIG_NET"]);
        assert_eq!(m[3].conditions, ["#ifdef CONFIG_NET ... #else"]);
        assert!(m[4].conditions.is_empty());
        match &m[4].decl {
            CDecl::FnPointer(f) => assert_eq!(f.params[1], "void (*setup)(struct net_device *)"),
            other => panic!("{other:?}"),
        }
        // The trailing `// trailing` comment is not taken as the next doc.
        assert_eq!(m[2].doc, None);
    }

    #[test]
    fn skeleton_is_valid_toml_with_todos() {
        let imported = import(HEADER, "demo_ops").expect("imports");
        let skeleton = imported.to_skeleton("demo.h");
        let parsed = toml::de::DeTable::parse(&skeleton);
        assert!(parsed.is_ok(), "{skeleton}");
        assert!(
            skeleton.contains(
                "c = \"int (*post_send)(struct ib_qp *qp, const struct ib_send_wr *wr);\""
            )
        );
        assert!(
            skeleton.contains("# only under: #ifdef CONFIG_NET\n[[op]]\nname = \"get_netdev\"")
        );
        assert!(
            skeleton.contains("returns = \"\" # TODO: the Rust type for `struct net_device *`")
        );
        assert!(skeleton.contains("[[member]]\nname = \"flag\""));
    }

    #[test]
    fn errors_name_their_lines() {
        let text = "struct s {\n\tint (*ok)(int);\n\tint (broken)(int);\n\tstruct { int a; } nested;\n\tint tail\n};";
        let errors = import(text, "s").expect_err("fails").errors;
        let lines: Vec<usize> = errors.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5], "{errors:?}");
    }

    #[test]
    fn object_sizes_become_obj_size_entries() {
        let text = "struct s {\n\tint (*f)(void);\n\tDECLARE_RDMA_OBJ_SIZE(ib_ah);\n};";
        let imported = import(text, "s").expect("imports");
        assert_eq!(
            imported.members[1].decl,
            CDecl::ObjSize {
                name: "ib_ah".to_owned()
            }
        );
        let skeleton = imported.to_skeleton("s.h");
        assert!(
            skeleton.contains("[[obj_size]]\nname = \"ib_ah\"\ntodo = "),
            "{skeleton}"
        );
        assert!(import("struct s {\n\tDECLARE_RDMA_OBJ_SIZE(a b);\n};", "s").is_err());
    }

    #[test]
    fn missing_and_unclosed_structs_are_errors() {
        assert!(import("struct other { int a; };", "s").is_err());
        let unclosed = import("struct s {\n int a;\n", "s").expect_err("unclosed");
        assert!(unclosed.to_string().contains("not closed"), "{unclosed}");
        let ifdef = import("struct s {\n#ifdef X\n int a;\n};", "s").expect_err("open #ifdef");
        assert_eq!(ifdef.errors[0].0, 2);
        assert!(import("struct s {\n /* open comment\n};", "s").is_err());
    }

    #[test]
    fn struct_name_must_match_whole_word() {
        let text = "struct s_ext { int (*a)(void); };\nstruct s { int (*b)(void); };";
        let imported = import(text, "s").expect("imports");
        assert_eq!(names(&imported), ["b"]);
    }

    /// Before the fix the skeleton's docs kept kernel-doc's `@name:` lead.
    #[test]
    fn kernel_doc_leads_naming_the_member_are_dropped() {
        assert_eq!(
            without_kernel_doc_name("@query_port: Query a port.", "query_port"),
            "Query a port."
        );
        assert_eq!(
            without_kernel_doc_name("query_port - Query a port.", "query_port"),
            "Query a port."
        );
        assert_eq!(
            without_kernel_doc_name("@other: Kept.", "query_port"),
            "@other: Kept."
        );
        assert_eq!(
            without_kernel_doc_name("@query_port:", "query_port"),
            "@query_port:"
        );
    }

    #[test]
    fn the_skeleton_offers_the_models_choices() {
        let imported = import("struct s {\n\tint flag;\n};", "s").expect("imports");
        let skeleton = imported.to_skeleton("s.h");
        assert!(
            skeleton.contains("policy (\"keep-first\", \"conflict\", \"overwrite\", \"or\" or \"like-ops\") and attr (\"path\", \"int\", \"flag\" or \"static\")"),
            "{skeleton}"
        );
    }
}
