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

impl Diagnostic {
    /// A diagnostic with a message at `span`.
    pub fn new(message: impl Into<String>, span: Range<usize>) -> Self {
        Diagnostic {
            message: message.into(),
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
        let (line, col) = self.line_col(d.span.start);
        format!("{}:{line}:{col}: {}", self.file_name, d.message)
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

impl fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = SimpleFile::new(&self.file_name, &self.source);
        let config = Config::default();
        for d in &self.diagnostics {
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
            match term::emit_into_string(&config, &file, &report) {
                Ok(text) => f.write_str(&text)?,
                Err(_) => writeln!(f, "error: {}", self.located(d))?,
            }
        }
        let n = self.diagnostics.len();
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
