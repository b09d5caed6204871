//! Reading one TOML table key by key, recording every problem instead of
//! stopping at the first (the way serde_derive's `Ctxt` accumulates errors).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::Diagnostic;

/// A string value with the byte range of its source text (quotes included).
pub(crate) struct SpannedStr<'a> {
    pub(crate) value: &'a str,
    pub(crate) span: Range<usize>,
}

impl SpannedStr<'_> {
    /// The span of `part`, a sub-slice of the value, assuming the string has
    /// no escapes before it (true of names and types); falls back to the whole
    /// value's span otherwise.
    pub(crate) fn sub_span(&self, part: &str) -> Range<usize> {
        let base = self.value.as_ptr() as usize;
        let at = (part.as_ptr() as usize).wrapping_sub(base);
        let raw_len = self.span.end.saturating_sub(self.span.start);
        // Basic and literal strings open with one quote character.
        if at <= self.value.len() && raw_len == self.value.len() + 2 {
            let start = self.span.start + 1 + at;
            start..start + part.len()
        } else {
            self.span.clone()
        }
    }
}

/// A table being read: which keys were asked for, and where problems go.
pub(crate) struct TableReader<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    what: &'static str,
    known: Vec<&'static str>,
    diags: Vec<Diagnostic>,
}

impl<'a, 'i> TableReader<'a, 'i> {
    /// Reads `table` (at `span`), named `what` in messages (`"[[op]]"`).
    pub(crate) fn new(table: &'a DeTable<'i>, span: Range<usize>, what: &'static str) -> Self {
        TableReader {
            table,
            span,
            what,
            known: Vec::new(),
            diags: Vec::new(),
        }
    }

    /// Records a problem.
    pub(crate) fn error(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// The raw value of `key`, for a key of more than one shape (a string
    /// or a table); marks the key as known.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.known.push(key);
        self.table.get(key)
    }

    fn missing(&mut self, key: &str) {
        let message = format!("missing required key `{key}` in {}", self.what);
        self.diags.push(Diagnostic::new(message, self.span.clone()));
    }

    /// The value of `key`; `None` when absent, and then an error if
    /// `required`.
    fn value(&mut self, key: &'static str, required: bool) -> Option<&'a Spanned<DeValue<'i>>> {
        let value = self.get(key);
        if value.is_none() && required {
            self.missing(key);
        }
        value
    }

    fn wrong_type(&mut self, key: &str, expected: &str, value: &Spanned<DeValue<'_>>) {
        let message = format!(
            "`{key}` must be {expected}, found {}",
            value.get_ref().type_str()
        );
        self.diags.push(Diagnostic::new(message, value.span()));
    }

    /// A string value; `None` (and an error if `required`) when absent or not a string.
    pub(crate) fn string(&mut self, key: &'static str, required: bool) -> Option<SpannedStr<'a>> {
        let value = self.value(key, required)?;
        match value.get_ref() {
            DeValue::String(s) => Some(SpannedStr {
                value: s.as_ref(),
                span: value.span(),
            }),
            _ => {
                self.wrong_type(key, "a string", value);
                None
            }
        }
    }

    /// A string value that `valid` accepts, called `what` in the error
    /// (`a C identifier`): `None` when it is not one or a required one is
    /// missing (both reported), `Some(None)` when an optional one is absent.
    pub(crate) fn checked_string(
        &mut self,
        key: &'static str,
        required: bool,
        what: &str,
        valid: impl Fn(&str) -> bool,
    ) -> Option<Option<String>> {
        let Some(value) = self.string(key, required) else {
            return (!required).then_some(None);
        };
        let ok = valid(value.value);
        if !ok {
            self.error(Diagnostic::new(
                format!("`{key}` must be {what}, not `{}`", value.value),
                value.span.clone(),
            ));
        }
        ok.then(|| Some(value.value.to_owned()))
    }

    /// A non-negative integer value; `None` (and an error if `required`)
    /// when absent or not one.
    pub(crate) fn count(
        &mut self,
        key: &'static str,
        required: bool,
    ) -> Option<(usize, Range<usize>)> {
        let value = self.value(key, required)?;
        match value.get_ref() {
            DeValue::Integer(i) => match (i.radix() == 10)
                .then(|| i.as_str().replace('_', "").parse::<usize>().ok())
                .flatten()
            {
                Some(n) => Some((n, value.span())),
                None => {
                    self.wrong_type(key, "a non-negative decimal integer", value);
                    None
                }
            },
            _ => {
                self.wrong_type(key, "an integer", value);
                None
            }
        }
    }

    /// A boolean value, `default` when absent.
    pub(crate) fn boolean(&mut self, key: &'static str, default: bool) -> bool {
        match self.get(key) {
            None => default,
            Some(value) => match value.get_ref() {
                DeValue::Boolean(b) => *b,
                _ => {
                    self.wrong_type(key, "true or false", value);
                    default
                }
            },
        }
    }

    /// An array value with its span; `None` (and an error if `required`) when
    /// absent or not an array.
    pub(crate) fn array(
        &mut self,
        key: &'static str,
        required: bool,
    ) -> Option<(&'a [Spanned<DeValue<'i>>], Range<usize>)> {
        let value = self.value(key, required)?;
        match value.get_ref() {
            DeValue::Array(items) => Some((&items[..], value.span())),
            _ => {
                self.wrong_type(key, "an array", value);
                None
            }
        }
    }

    /// A sub-table (`[target]`) with its span; `None` when absent or not a
    /// table (reported).
    pub(crate) fn table(&mut self, key: &'static str) -> Option<(&'a DeTable<'i>, Range<usize>)> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Table(t) => Some((t, value.span())),
            _ => {
                self.wrong_type(key, "a table", value);
                None
            }
        }
    }

    /// An array of strings; elements of another type are reported and skipped.
    pub(crate) fn strings(&mut self, key: &'static str, required: bool) -> Vec<SpannedStr<'a>> {
        let Some((items, _)) = self.array(key, required) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push(SpannedStr {
                    value: s.as_ref(),
                    span: item.span(),
                }),
                other => self.diags.push(Diagnostic::new(
                    format!(
                        "elements of `{key}` must be strings, found {}",
                        other.type_str()
                    ),
                    item.span(),
                )),
            }
        }
        out
    }

    /// Reports every key that no reader method asked for, and moves all
    /// problems found in the table into `out`.
    pub(crate) fn finish(mut self, out: &mut Vec<Diagnostic>) {
        for (key, _) in self.table.iter() {
            if !self.known.contains(&key.get_ref().as_ref()) {
                let message = format!("unknown key `{}` in {}", key.get_ref(), self.what);
                let note = format!("expected one of: {}", self.known.join(", "));
                self.diags
                    .push(Diagnostic::new(message, key.span()).with_note(note));
            }
        }
        out.append(&mut self.diags);
    }
}
