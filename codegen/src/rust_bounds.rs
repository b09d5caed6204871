//! Bounds on Rust text before `syn` parses it. The parser recurses once per
//! level of nesting (brackets, generic arguments, prefix operators), so text
//! nested thousands deep would overflow its stack and abort the process.
//! The schema loader (a type or an expression) and `coverage` (a provider's
//! whole source file) refuse such text first, with a message, through the
//! one measure here.

/// How much Rust text a caller accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// The longest text, in bytes.
    pub(crate) max_len: usize,
    /// The deepest nesting.
    pub(crate) max_depth: usize,
}

/// A type or an expression in the schema.
pub(crate) const SCHEMA_SNIPPET: Bounds = Bounds {
    max_len: 512,
    max_depth: 32,
};

/// A provider's source file read by `coverage`: far deeper than any real
/// code nests, and parsed on a thread whose stack holds that depth
/// ([`PARSER_STACK`]).
pub(crate) const SOURCE_FILE: Bounds = Bounds {
    max_len: 64 << 20,
    max_depth: 256,
};

/// The stack of the thread that parses a source file within
/// [`SOURCE_FILE`]'s depth.
pub(crate) const PARSER_STACK: usize = 64 << 20;

/// Refuses `text` longer or nested deeper than `bounds`, saying which.
///
/// # Errors
/// A sentence that follows "this Rust type ..." or "FILE ...".
pub(crate) fn check(text: &str, bounds: Bounds) -> Result<(), String> {
    if text.len() > bounds.max_len {
        return Err(format!(
            "is {} bytes long; at most {} are allowed",
            text.len(),
            bounds.max_len
        ));
    }
    let deepest = deepest(text);
    if deepest > bounds.max_depth {
        return Err(format!(
            "is nested {deepest} levels deep; at most {} are allowed",
            bounds.max_depth
        ));
    }
    Ok(())
}

/// The deepest nesting in `text`: brackets, generic arguments and runs of
/// prefix operators (`&`, `*`, `!`, `-`), outside comments, strings and
/// character literals. Angle brackets count only within a statement (a
/// `<` that is a comparison has no `>` to close it), so that a long file
/// of comparisons does not read as deep. Linear in the text.
pub(crate) fn deepest(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut brackets, mut angles, mut prefix, mut deepest) = (0usize, 0usize, 0usize, 0usize);
    let mut previous = b' ';
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(end) = skipped(bytes, i) {
            i = end;
            previous = b' ';
            continue;
        }
        match c {
            b'(' | b'[' | b'{' => brackets += 1,
            b')' | b']' | b'}' => brackets = brackets.saturating_sub(1),
            b'<' => angles += 1,
            b'>' if previous == b'-' || previous == b'=' => {}
            b'>' => angles = angles.saturating_sub(1),
            _ => {}
        }
        if matches!(c, b';' | b'{' | b'}') {
            angles = 0;
        }
        match c {
            b'&' | b'*' | b'!' | b'-' => prefix += 1,
            c if c.is_ascii_whitespace() => {}
            _ => prefix = 0,
        }
        deepest = deepest.max(brackets + angles + prefix);
        previous = c;
        i += 1;
    }
    deepest
}

/// Where a comment, string or character literal that starts at `i` ends
/// (`None` when none starts there).
fn skipped(bytes: &[u8], i: usize) -> Option<usize> {
    let at = |k: usize| bytes.get(k).copied();
    match bytes[i] {
        b'/' if at(i + 1) == Some(b'/') => Some(
            bytes[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |n| i + n),
        ),
        b'/' if at(i + 1) == Some(b'*') => Some(block_comment_end(bytes, i)),
        b'"' => Some(string_end(bytes, i + 1)),
        b'r' if !ident_before(bytes, i) && matches!(at(i + 1), Some(b'"' | b'#')) => {
            raw_string_end(bytes, i + 1)
        }
        b'\'' => match (at(i + 1), at(i + 2)) {
            (Some(b'\\'), _) => Some(char_end(bytes, i + 2)),
            (Some(_), Some(b'\'')) => Some(i + 3),
            // A lifetime: only its quote is skipped.
            _ => Some(i + 1),
        },
        _ => None,
    }
}

/// Whether an identifier character stands just before `i` (`br"..."` is a
/// byte string; `for"` is not raw).
fn ident_before(bytes: &[u8], i: usize) -> bool {
    i.checked_sub(1)
        .is_some_and(|k| (bytes[k].is_ascii_alphanumeric() && bytes[k] != b'b') || bytes[k] == b'_')
}

/// The end of a (nested) block comment starting at `i`.
fn block_comment_end(bytes: &[u8], i: usize) -> usize {
    let (mut depth, mut k) = (0usize, i);
    while k + 1 < bytes.len() {
        match (bytes[k], bytes[k + 1]) {
            (b'/', b'*') => {
                depth += 1;
                k += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                k += 2;
                if depth == 0 {
                    return k;
                }
            }
            _ => k += 1,
        }
    }
    bytes.len()
}

/// The end of a string whose contents start at `k` (after its quote).
fn string_end(bytes: &[u8], mut k: usize) -> usize {
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 2,
            b'"' => return k + 1,
            _ => k += 1,
        }
    }
    bytes.len()
}

/// The end of a raw string whose hashes or quote start at `k`; `None` when
/// `r#` is a raw identifier.
fn raw_string_end(bytes: &[u8], k: usize) -> Option<usize> {
    let hashes = bytes[k..].iter().take_while(|&&b| b == b'#').count();
    if bytes.get(k + hashes) != Some(&b'"') {
        return None;
    }
    let body = k + hashes + 1;
    let mut m = body;
    while m < bytes.len() {
        if bytes[m] == b'"'
            && bytes[m + 1..]
                .iter()
                .take(hashes)
                .filter(|&&b| b == b'#')
                .count()
                == hashes
        {
            return Some(m + 1 + hashes);
        }
        m += 1;
    }
    Some(bytes.len())
}

/// The end of an escaped character literal whose escape starts at `k`.
fn char_end(bytes: &[u8], k: usize) -> usize {
    bytes
        .get(k + 1..)
        .unwrap_or_default()
        .iter()
        .take(12)
        .position(|&b| b == b'\'')
        .map_or(k + 1, |n| k + 1 + n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_generics_and_prefixes_count() {
        assert_eq!(deepest("Vec<Option<u8>>"), 2);
        assert_eq!(deepest("&&&&x"), 4);
        assert_eq!(deepest("fn f() -> Result<(), E> { g(h[0]) }"), 3);
        assert_eq!(deepest("match x { A => 1 }"), 1);
    }

    #[test]
    fn comments_strings_and_characters_do_not_count() {
        let text = "// ((((\n/* [[ /* nested */ [[ */ let s = \"{{{{\"; let r = r#\"((\"#; let c = '('; let l: &'a str;";
        assert_eq!(deepest(text), 1);
    }

    #[test]
    fn comparisons_do_not_add_up_across_statements() {
        let text = "if a < b { x(); }\n".repeat(1000);
        assert!(deepest(&text) <= 3, "{}", deepest(&text));
    }

    #[test]
    fn what_is_refused_is_said() {
        let deep = format!("{}u8{}", "Vec<".repeat(40), ">".repeat(40));
        let said = check(&deep, SCHEMA_SNIPPET).expect_err("too deep");
        assert_eq!(said, "is nested 40 levels deep; at most 32 are allowed");
        assert!(check(&"x".repeat(513), SCHEMA_SNIPPET).is_err());
        assert!(check("u8", SCHEMA_SNIPPET).is_ok());
    }

    #[test]
    fn hostile_endings_do_not_panic() {
        for text in ["'", "'\\", "r#", "r#\"", "\"\\", "/*", "/", "b'", "r\"x"] {
            let _ = deepest(text);
        }
    }
}
