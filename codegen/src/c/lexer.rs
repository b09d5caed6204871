//! The one C lexer every C reader shares (`check-c`, `coverage`,
//! `import-c`): it splits text into identifiers, numbers, string and
//! character literals, punctuation, preprocessor lines and comments, each
//! with its line, in one pass linear in the input. A brace inside a string
//! (`pr_debug("} merging ops\n")`) or a quote inside a character literal
//! (`'"'`) is part of its literal, never code.
//!
//! The lexer never fails: an unterminated comment, string or character
//! literal ends at the end of the input (a literal also at the end of its
//! line), as a compiler's error recovery would read it, so that hostile or
//! truncated text still gets a report.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An identifier or keyword.
    Ident,
    /// A number (any of C's forms, read loosely).
    Number,
    /// A string literal, quotes included.
    Str,
    /// A character literal, quotes included.
    Char,
    /// One character of punctuation (`->` is two tokens with no space
    /// between them).
    Punct,
    /// A preprocessor line, with its continuation lines.
    Directive,
    /// A comment, markers included.
    Comment,
}

/// One token of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// What it is.
    pub(crate) kind: Kind,
    /// Its text in the input.
    pub(crate) text: &'a str,
    /// The 1-based line it starts on.
    pub(crate) line: usize,
    /// Whether whitespace or a comment separates it from the token before.
    pub(crate) spaced: bool,
}

impl Token<'_> {
    /// Whether it is the punctuation `c`.
    pub(crate) fn is(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text.len() == c.len_utf8() && self.text.starts_with(c)
    }

    /// Whether it is the identifier `name`.
    pub(crate) fn is_ident(&self, name: &str) -> bool {
        self.kind == Kind::Ident && self.text == name
    }

    /// Whether it is code: not a comment, not a preprocessor line.
    pub(crate) fn is_code(&self) -> bool {
        !matches!(self.kind, Kind::Comment | Kind::Directive)
    }
}

/// The tokens of `text`, in order.
pub(crate) fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
        line_blank: true,
        spaced: false,
        out: Vec::new(),
    };
    lexer.run();
    lexer.out
}

/// `tokens` as text: each token's text, one space where the input had
/// whitespace or a comment between two of them.
pub(crate) fn join(tokens: &[Token<'_>]) -> String {
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 && token.spaced {
            out.push(' ');
        }
        out.push_str(token.text);
    }
    out
}

/// For each token of `tokens`, the index of the token that closes it when
/// it opens a pair of `open`/`close` (matched with a stack, in one pass);
/// `None` for every other token and for an unclosed opener.
pub(crate) fn matching(tokens: &[Token<'_>], open: char, close: char) -> Vec<Option<usize>> {
    let mut matches = vec![None; tokens.len()];
    let mut stack = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        if token.is(open) {
            stack.push(i);
        } else if token.is(close)
            && let Some(opener) = stack.pop()
        {
            matches[opener] = Some(i);
        }
    }
    matches
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    /// Whether only whitespace precedes `pos` on its line (a `#` there
    /// starts a preprocessor line).
    line_blank: bool,
    /// Whether whitespace or a comment came since the last token.
    spaced: bool,
    out: Vec<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        while let Some(&byte) = self.bytes.get(self.pos) {
            let start = self.pos;
            let line = self.line;
            let kind = match byte {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_blank = true;
                    self.spaced = true;
                    continue;
                }
                _ if byte.is_ascii_whitespace() => {
                    self.pos += 1;
                    self.spaced = true;
                    continue;
                }
                b'/' if self.peek(1) == Some(b'/') => {
                    self.line_comment();
                    Kind::Comment
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    self.block_comment();
                    Kind::Comment
                }
                b'#' if self.line_blank => {
                    self.directive();
                    Kind::Directive
                }
                b'"' => {
                    self.literal(b'"');
                    Kind::Str
                }
                b'\'' => {
                    self.literal(b'\'');
                    Kind::Char
                }
                _ if byte.is_ascii_alphabetic() || byte == b'_' => {
                    self.skip_while(|b| b.is_ascii_alphanumeric() || b == b'_');
                    Kind::Ident
                }
                _ if byte.is_ascii_digit() => {
                    self.skip_while(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
                    Kind::Number
                }
                _ => {
                    let len = self.text[start..].chars().next().map_or(1, char::len_utf8);
                    self.pos += len;
                    Kind::Punct
                }
            };
            self.line_blank = false;
            let spaced = core::mem::take(&mut self.spaced);
            let text = &self.text[start..self.pos];
            self.out.push(Token {
                kind,
                text,
                line,
                spaced,
            });
            if kind == Kind::Comment {
                // A comment separates the tokens around it, like a space.
                self.spaced = true;
                // A line comment ends before its newline: the next line
                // starts blank when the newline is read.
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn skip_while(&mut self, keep: impl Fn(u8) -> bool) {
        while self.bytes.get(self.pos).is_some_and(|&b| keep(b)) {
            self.pos += 1;
        }
    }

    /// Moves over one byte, counting a newline.
    fn bump(&mut self) {
        if self.bytes.get(self.pos) == Some(&b'\n') {
            self.line += 1;
        }
        self.pos += 1;
    }

    fn line_comment(&mut self) {
        self.skip_while(|b| b != b'\n');
    }

    fn block_comment(&mut self) {
        self.pos += 2;
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] == b'*' && self.peek(1) == Some(b'/') {
                self.pos += 2;
                return;
            }
            self.bump();
        }
    }

    /// A string or character literal closed by `quote`; a backslash
    /// escapes the next byte. It also ends at an unescaped newline (C
    /// allows none inside), so one stray quote spoils one line only.
    fn literal(&mut self, quote: u8) {
        self.pos += 1;
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b'\\' => {
                    self.pos += 1;
                    if self.bytes.get(self.pos).is_some() {
                        self.bump();
                    }
                }
                b'\n' => return,
                _ if byte == quote => {
                    self.pos += 1;
                    return;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// A preprocessor line through its last continuation; a comment that
    /// starts on it is part of it.
    fn directive(&mut self) {
        while let Some(&byte) = self.bytes.get(self.pos) {
            match byte {
                b'\n' => {
                    let before = self.text[..self.pos].trim_end_matches([' ', '\t', '\r']);
                    if !before.ends_with('\\') {
                        return;
                    }
                    self.bump();
                }
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                _ => self.pos += 1,
            }
        }
    }
}

/// The comma-separated entries of an initializer body, split at the commas
/// outside any bracket (the last entry is empty after a trailing comma).
pub(crate) fn top_level_entries<'t, 'a>(body: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut entries = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, token) in body.iter().enumerate() {
        if token.is('(') || token.is('[') || token.is('{') {
            depth += 1;
        } else if token.is(')') || token.is(']') || token.is('}') {
            depth = depth.saturating_sub(1);
        } else if token.is(',') && depth == 0 {
            entries.push(&body[start..i]);
            start = i + 1;
        }
    }
    entries.push(&body[start..]);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text).iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn strings_and_characters_hold_braces_quotes_and_comment_markers() {
        let text = "f('\"'); /* c */ g(\"} /* x */ {\", '\\''); // end\nh";
        let code: Vec<&str> = tokens(text)
            .iter()
            .filter(|t| t.is_code())
            .map(|t| t.text)
            .collect();
        assert_eq!(
            code,
            [
                "f",
                "(",
                "'\"'",
                ")",
                ";",
                "g",
                "(",
                "\"} /* x */ {\"",
                ",",
                "'\\''",
                ")",
                ";",
                "h"
            ]
        );
    }

    #[test]
    fn lines_directives_and_continuations() {
        let text = "a\n  #define X \\\n  1 /* two\nlines */\nb # c\n";
        let tokens = tokens(text);
        let seen: Vec<(Kind, usize)> = tokens.iter().map(|t| (t.kind, t.line)).collect();
        assert_eq!(
            seen,
            [
                (Kind::Ident, 1),
                (Kind::Directive, 2),
                (Kind::Ident, 5),
                (Kind::Punct, 5),
                (Kind::Ident, 5),
            ]
        );
    }

    #[test]
    fn join_keeps_one_space_where_the_text_had_any() {
        let code: Vec<Token<'_>> = tokens("dev->ops .x   |=/* c */ops->x ;")
            .into_iter()
            .filter(Token::is_code)
            .collect();
        assert_eq!(join(&code), "dev->ops .x |= ops->x ;");
    }

    #[test]
    fn unterminated_pieces_end_without_panicking() {
        assert_eq!(kinds("\"abc"), [(Kind::Str, "\"abc")]);
        assert_eq!(kinds("'a\nb"), [(Kind::Char, "'a"), (Kind::Ident, "b")]);
        assert_eq!(kinds("/* open"), [(Kind::Comment, "/* open")]);
        assert_eq!(kinds("x\\"), [(Kind::Ident, "x"), (Kind::Punct, "\\")]);
        assert_eq!(kinds("\"\\"), [(Kind::Str, "\"\\")]);
        assert_eq!(kinds("é\0"), [(Kind::Punct, "é"), (Kind::Punct, "\0")]);
    }

    #[test]
    fn pairs_are_matched_in_one_pass() {
        let tokens = tokens("( { ) } ( ( )");
        let parens = matching(&tokens, '(', ')');
        assert_eq!(parens[0], Some(2));
        assert_eq!(parens[4], None, "unclosed");
        assert_eq!(parens[5], Some(6));
        assert_eq!(matching(&tokens, '{', '}')[1], Some(3));
    }
}
