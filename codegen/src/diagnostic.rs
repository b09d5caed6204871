//! Schema errors with byte spans, rendered as `file:line:col` with the
//! offending line and a caret (by `codespan-reporting`).

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config};

/// One problem found in a schema, located by a byte range of its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Byte range of the offending text in the schema source.
    pub span: Range<usize>,
    /// An optional hint printed under the diagnostic.
    pub note: Option<String>,
    /// An optional second location that explains the first (an earlier definition).
    pub related: Option<(Range<usize>, String)>,
}

/// The longest quoted input a message keeps, in characters.
const MAX_QUOTE: usize = 80;

/// `message` ready for a terminal, the one function every command's
/// diagnostics pass through: every backtick-quoted piece longer than 80
/// characters is cut to its start, an ellipsis and its length (a message
/// about a 100,000 character line does not carry the line), and control
/// and bidirectional-override characters from the input are shown as
/// escapes (`\u{1b}`), so that text read from a patch or a mail cannot
/// drive the terminal.
pub fn printable(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    for (i, piece) in message.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        let quoted = i % 2 == 1;
        let len = piece.chars().count();
        let kept = if quoted && len > MAX_QUOTE {
            MAX_QUOTE - 20
        } else {
            len
        };
        for c in piece.chars().take(kept) {
            if is_unsafe_for_terminals(c) {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
        if kept < len {
            out.push_str(&format!("… ({len} characters)"));
        }
    }
    out
}

/// Control characters (ESC, BEL, CR, ...) and the invisible characters
/// that reorder or hide text on screen.
fn is_unsafe_for_terminals(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `"s"` unless `n` is one: `1 error`, `2 errors`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes `lines` one per line through [`printable`], the first
/// [`MAX_SHOWN`] of them, then how many more there were (so that a
/// megabyte of hostile input gives a screenful, not 80,000 lines).
///
/// # Errors
/// As the formatter's.
pub fn write_capped(
    f: &mut fmt::Formatter<'_>,
    lines: impl IntoIterator<Item = String>,
) -> fmt::Result {
    let mut shown = 0;
    let mut more = 0usize;
    for line in lines {
        if shown < MAX_SHOWN {
            writeln!(f, "{}", printable(&line))?;
            shown += 1;
        } else {
            more += 1;
        }
    }
    if more > 0 {
        writeln!(f, "... {more} more not shown")?;
    }
    Ok(())
}

impl Diagnostic {
    /// A diagnostic with a message at `span` (quoted input in it capped by
    /// [`printable`]).
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        Diagnostic {
            message: printable(&message.into()),
            span,
            note: None,
            related: None,
        }
    }

    /// Adds a second location with a label, such as an earlier definition.
    pub fn with_related(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.related = Some((span, label.into()));
        self
    }

    /// Adds a hint printed under the diagnostic.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// Every problem found in one schema file, with the source needed to print them.
#[derive(Clone, Debug)]
pub struct SchemaErrors {
    file_name: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
}

impl SchemaErrors {
    /// Collects `diagnostics` for the file `file_name` whose text is `source`,
    /// ordered by position.
    pub fn new(file_name: &str, source: &str, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        SchemaErrors {
            file_name: file_name.to_owned(),
            source: source.to_owned(),
            diagnostics,
        }
    }

    /// The diagnostics, ordered by position in the file.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The 1-based `(line, column)` of a byte offset in the schema source;
    /// the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.source, offset)
    }

    /// Each diagnostic as `file:line:col: message`, one per line.
    pub fn summary(&self) -> Vec<String> {
        self.diagnostics.iter().map(|d| self.located(d)).collect()
    }

    /// `file:line:col: message` for one diagnostic.
    fn located(&self, d: &Diagnostic) -> String {
        format!("{}: {}", self.place(d.span.start), d.message)
    }

    /// `file:line:col` of a byte offset.
    fn place(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{line}:{col}", self.file_name)
    }
}

/// The 1-based `(line, column)` of byte `offset` in `source`; the column counts
/// characters, as editors do.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..offset].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// At most this many diagnostics are printed; the rest are counted.
pub const MAX_SHOWN: usize = 50;
/// A source line longer than this (in characters) is quoted as a window of
/// [`WINDOW`] characters around the error, not whole.
const MAX_QUOTED: usize = 200;
/// The width of the window quoted from a long line.
const WINDOW: usize = 120;

impl SchemaErrors {
    /// The source line (without its newline) holding byte `offset`, and
    /// the byte where it starts.
    fn line_at(&self, offset: usize) -> (&str, usize) {
        let offset = floor_char_boundary(&self.source, offset);
        let start = self.source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.source[offset..]
            .find('\n')
            .map_or(self.source.len(), |i| offset + i);
        (&self.source[start..end], start)
    }

    /// Whether a diagnostic touches a line too long to quote whole.
    fn on_long_line(&self, d: &Diagnostic) -> bool {
        let spans = std::iter::once(&d.span).chain(d.related.as_ref().map(|(s, _)| s));
        spans
            .flat_map(|span| [span.start, span.end])
            .any(|offset| self.line_at(offset).0.chars().count() > MAX_QUOTED)
    }

    /// One diagnostic with a window of its long line and a caret under it.
    fn write_windowed(&self, f: &mut fmt::Formatter<'_>, d: &Diagnostic) -> fmt::Result {
        let (line, line_start) = self.line_at(d.span.start);
        let (_, col) = self.line_col(d.span.start);
        let from = col.saturating_sub(1 + WINDOW / 3);
        let window: String = line.chars().skip(from).take(WINDOW).collect();
        let cut_left = if from > 0 { "…" } else { "" };
        let cut_right = if line.chars().count() > from + WINDOW {
            "…"
        } else {
            ""
        };
        let start = floor_char_boundary(&self.source, d.span.start);
        let end = floor_char_boundary(&self.source, d.span.end.min(line_start + line.len()));
        let marked = self.source[start..end.max(start)]
            .chars()
            .count()
            .clamp(1, WINDOW);
        let indent = col - 1 - from + cut_left.chars().count();
        writeln!(f, "error: {}", d.message)?;
        writeln!(f, "  ┌─ {}", self.place(d.span.start))?;
        writeln!(f, "  │ {cut_left}{window}{cut_right}")?;
        writeln!(f, "  │ {}{}", " ".repeat(indent), "^".repeat(marked))?;
        if let Some((span, label)) = &d.related {
            writeln!(f, "  = {label}: {}", self.place(span.start))?;
        }
        if let Some(note) = &d.note {
            writeln!(f, "  = {note}")?;
        }
        writeln!(f)
    }

    /// One diagnostic as codespan renders it: the whole lines, labelled.
    fn write_report(&self, f: &mut fmt::Formatter<'_>, d: &Diagnostic) -> fmt::Result {
        let file = SimpleFile::new(&self.file_name, &self.source);
        let start = floor_char_boundary(&self.source, d.span.start);
        let end = floor_char_boundary(&self.source, d.span.end.max(start));
        let mut labels = vec![Label::primary((), start..end)];
        if let Some((span, label)) = &d.related {
            let start = floor_char_boundary(&self.source, span.start);
            let end = floor_char_boundary(&self.source, span.end.max(start));
            labels.push(Label::secondary((), start..end).with_message(label));
        }
        let mut report = Report::error().with_message(&d.message).with_labels(labels);
        if let Some(note) = &d.note {
            report = report.with_notes(vec![note.clone()]);
        }
        match term::emit_into_string(&Config::default(), &file, &report) {
            Ok(text) => f.write_str(&text),
            Err(_) => writeln!(f, "error: {}", self.located(d)),
        }
    }
}

/// Prints the first [`MAX_SHOWN`] diagnostics (each quoting at most a
/// window of a long line), then how many were left out and the total.
impl fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.diagnostics.iter().take(MAX_SHOWN) {
            if self.on_long_line(d) {
                self.write_windowed(f, d)?;
            } else {
                self.write_report(f, d)?;
            }
        }
        let n = self.diagnostics.len();
        if n > MAX_SHOWN {
            writeln!(f, "... {} more errors not shown", n - MAX_SHOWN)?;
        }
        write!(
            f,
            "{n} error{} in {}",
            if n == 1 { "" } else { "s" },
            self.file_name
        )
    }
}

impl std::error::Error for SchemaErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quotes_are_capped_short_ones_kept() {
        let long = "x".repeat(100_000);
        let capped = printable(&format!("`{long}` is not a valid Rust type: `oops`"));
        assert!(capped.len() < 200, "{capped}");
        assert!(capped.starts_with(&format!("`{}… (100000 characters)`", "x".repeat(60))));
        assert!(capped.ends_with("type: `oops`"));
        assert_eq!(printable("`short` stays"), "`short` stays");
    }

    #[test]
    fn control_and_reordering_characters_are_escaped() {
        let text = printable("`\u{1b}]0;owned\u{7}` and \u{202e}x\r");
        assert_eq!(text, "`\\u{1b}]0;owned\\u{7}` and \\u{202e}x\\u{d}");
        assert!(!text.chars().any(is_unsafe_for_terminals));
    }

    struct Lines(usize);

    impl fmt::Display for Lines {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_capped(f, (0..self.0).map(|i| format!("line {i}")))
        }
    }

    #[test]
    fn at_most_max_shown_lines_then_a_count() {
        let text = Lines(80_147).to_string();
        assert_eq!(text.lines().count(), MAX_SHOWN + 1);
        assert!(text.ends_with("... 80097 more not shown\n"), "{text}");
        assert_eq!(Lines(3).to_string(), "line 0\nline 1\nline 2\n");
    }

    #[test]
    fn line_col_counts_lines_and_characters() {
        let src = "ab\ncdé\nf";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 8), (3, 1));
        // An offset inside a multi-byte character falls back to its start.
        assert_eq!(line_col(src, 6), (2, 3));
    }

    #[test]
    fn display_shows_location_line_and_caret() {
        let errors = SchemaErrors::new(
            "ops.toml",
            "a = 1\nname = \"x y\"\n",
            vec![Diagnostic::new("bad name", 13..18)],
        );
        let text = errors.to_string();
        assert!(text.contains("ops.toml:2:8"), "{text}");
        assert!(text.contains("name = \"x y\""), "{text}");
        assert!(text.contains("^^^^^"), "{text}");
        assert!(text.ends_with("1 error in ops.toml"), "{text}");
    }
}
