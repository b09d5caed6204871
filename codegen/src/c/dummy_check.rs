//! `check-c` on a table of dummy ops (rdma-core's `verbs_dummy_ops`): a
//! positional initializer, so each entry lands in the member at its
//! position. Finds a struct op with no dummy, an entry that is no op, the
//! same dummy twice, and entries out of struct order (each then fills
//! another op's member).

use std::collections::{HashMap, HashSet};

use super::finding::{Finding, error};
use super::lexer::{self, Token};
use crate::schema::{CNames, Schema};
use crate::suggest;

/// One entry of the initializer: its text and line.
struct Entry {
    name: String,
    line: usize,
}

/// The findings on the dummy table `[target.c]` names, in the text whose
/// `tokens` (comments left out) `check-c` read.
pub(super) fn check(tokens: &[Token<'_>], schema: &Schema, c: &CNames) -> Vec<Finding> {
    let Some(table) = &c.dummy_table else {
        return Vec::new();
    };
    let Some((entries, line)) = initializer(tokens, table) else {
        return vec![error(
            0,
            format!("no definition of the dummy table `{table}` found"),
        )];
    };
    let mut out = Vec::new();
    let ops: Vec<&str> = schema.ops.iter().map(|op| op.name.as_str()).collect();
    let known: HashSet<&str> = ops.iter().copied().collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for e in &entries {
        if let Some(first) = seen.get(e.name.as_str()) {
            out.push(error(
                e.line,
                format!(
                    "`{}` again in `{table}` (first at line {first}): every later entry lands one member late",
                    e.name
                ),
            ));
            continue;
        }
        seen.insert(&e.name, e.line);
        if !known.contains(e.name.as_str()) {
            out.push(error(
                e.line,
                format!(
                    "`{}` in `{table}` is the dummy of no op{}",
                    e.name,
                    suggest::did_you_mean(&e.name, ops.iter().copied())
                ),
            ));
        }
    }
    for op in ops.iter().filter(|op| !seen.contains_key(**op)) {
        out.push(error(
            line,
            format!(
                "op `{op}` has no dummy in `{table}`: every later entry lands one member early"
            ),
        ));
    }
    // Each known entry's first occurrence (a repeat is reported above).
    let theirs: Vec<&Entry> = entries
        .iter()
        .filter(|e| known.contains(e.name.as_str()) && seen.get(e.name.as_str()) == Some(&e.line))
        .collect();
    let ours: Vec<&str> = ops
        .iter()
        .copied()
        .filter(|op| seen.contains_key(op))
        .collect();
    if let Some((entry, want)) = theirs
        .iter()
        .zip(&ours)
        .find(|(entry, want)| entry.name != **want)
    {
        out.push(error(
            entry.line,
            format!(
                "`{}` is out of struct order in `{table}`: a positional entry here fills `{want}`",
                entry.name
            ),
        ));
    }
    out
}

/// The entries of `NAME = { ... }` (positional names, or the member of a
/// designated `.member = value`) and the line of its `{`.
fn initializer(tokens: &[Token<'_>], name: &str) -> Option<(Vec<Entry>, usize)> {
    let tokens: Vec<Token<'_>> = tokens.iter().copied().filter(Token::is_code).collect();
    let braces = lexer::matching(&tokens, '{', '}');
    let at = (0..tokens.len().saturating_sub(2)).find(|&at| {
        tokens[at].is_ident(name) && tokens[at + 1].is('=') && tokens[at + 2].is('{')
    })?;
    let open = at + 2;
    let close = braces[open]?;
    let entries = lexer::top_level_entries(&tokens[open + 1..close])
        .into_iter()
        .filter_map(|entry| {
            let first = entry.first()?;
            let name = match entry {
                [dot, member, ..] if dot.is('.') => member.text.to_owned(),
                _ => lexer::join(entry),
            };
            Some(Entry {
                name,
                line: first.line,
            })
        })
        .collect();
    Some((entries, tokens[open].line))
}
