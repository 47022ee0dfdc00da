//! Validated names: categories from the configured list, tags (display text plus a
//! case-folded key) and user names.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::error::Error;

/// The categories a deployment runs, validated once (non-empty, no duplicates, each a
/// lowercase ASCII word), so that [`Category::parse`] can refuse everything else.
///
/// ```
/// use tourney_core::{Category, CategoryList};
///
/// let list = CategoryList::default();
/// assert_eq!(Category::parse("cars", &list)?.as_str(), "cars");
/// assert!(Category::parse("boats", &list).is_err());
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryList(Vec<String>);

impl CategoryList {
    /// The spec's default list: `female`, `male`, `landscapes`, `architecture`, `cars`.
    pub const DEFAULT_NAMES: [&'static str; 5] =
        ["female", "male", "landscapes", "architecture", "cars"];
    /// The longest accepted category name.
    pub const MAX_NAME_LEN: usize = 32;

    /// Validates a configured list: at least one name, no name twice, each 1 to 32 of
    /// `[a-z0-9_-]` (category names appear in URLs).
    pub fn new<S: AsRef<str>>(names: &[S]) -> Result<Self, Error> {
        if names.is_empty() {
            return Err(Error::InvalidCategoryList {
                reason: "is empty".to_owned(),
            });
        }
        let mut validated: Vec<String> = Vec::with_capacity(names.len());
        for name in names.iter().map(AsRef::as_ref) {
            check_category_name(name)?;
            if validated.iter().any(|known| known == name) {
                return Err(Error::InvalidCategoryList {
                    reason: format!("holds {name:?} twice"),
                });
            }
            validated.push(name.to_owned());
        }
        Ok(Self(validated))
    }

    /// The names, in configured order.
    pub fn names(&self) -> &[String] {
        &self.0
    }
}

impl Default for CategoryList {
    fn default() -> Self {
        Self(Self::DEFAULT_NAMES.map(str::to_owned).to_vec())
    }
}

fn check_category_name(name: &str) -> Result<(), Error> {
    let n_chars = name.chars().count();
    if n_chars == 0 || n_chars > CategoryList::MAX_NAME_LEN {
        return Err(Error::TextLength {
            field: "category",
            value: name.to_owned(),
            n_chars,
            min: 1,
            max: CategoryList::MAX_NAME_LEN,
        });
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !name.chars().all(allowed) {
        return Err(Error::TextCharacters {
            field: "category",
            value: name.to_owned(),
            reason: "only lowercase ASCII letters, digits, '-' and '_'",
        });
    }
    Ok(())
}

/// What a photo competes in; always one of the configured [`CategoryList`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Category(String);

impl Category {
    /// Accepts `text` only when it is exactly one of `list`'s names (case-sensitive, as
    /// in URLs).
    pub fn parse(text: &str, list: &CategoryList) -> Result<Self, Error> {
        if list.0.iter().any(|name| name == text) {
            return Ok(Self(text.to_owned()));
        }
        Err(Error::UnknownCategory {
            value: text.to_owned(),
            allowed: list.0.join(", "),
        })
    }

    /// The category's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A free-text tag: the text as typed (trimmed) for display, and a case-folded key that
/// decides equality, so `Sunset` and `sunset` are one tag shown as first typed.
///
/// Equality, ordering and hashing use the key only.
///
/// ```
/// use tourney_core::Tag;
///
/// let typed = Tag::parse("  Sunset ")?;
/// assert_eq!((typed.display(), typed.key()), ("Sunset", "sunset"));
/// assert_eq!(typed, Tag::parse("SUNSET")?);
/// assert!(Tag::parse("   ").is_err());
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tag {
    display: String,
    key: String,
}

impl Tag {
    /// The longest accepted tag, in characters.
    pub const MAX_CHARS: usize = 50;

    /// Trims surrounding white space, then accepts 1 to [`Tag::MAX_CHARS`] characters of
    /// any script except control characters and `/` (tags appear in URL paths).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let display = checked_text(
            TextRule {
                field: "tag",
                max_chars: Self::MAX_CHARS,
                refused: |c| c.is_control() || c == '/',
                reason: "no control characters and no '/'",
            },
            text,
        )?;
        Ok(Self {
            display: display.to_owned(),
            key: display.to_lowercase(),
        })
    }

    /// The text as typed, for display.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The case-folded text (Unicode lower case) that matching and storage use.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Tag {}

impl Hash for Tag {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Tag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

/// A user's public name: 1 to 42 characters of any script (emoji included), trimmed, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserName(String);

impl UserName {
    /// The longest accepted name, in characters (Unicode scalar values).
    pub const MAX_CHARS: usize = 42;

    /// Trims surrounding white space (a name of spaces only is no name), then accepts 1 to
    /// 42 characters without control characters.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let name = checked_text(
            TextRule {
                field: "user_name",
                max_chars: Self::MAX_CHARS,
                refused: char::is_control,
                reason: "no control characters",
            },
            text,
        )?;
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A comment's text: 1 to 300 characters once trimmed, line breaks allowed, no other
/// control characters.
///
/// ```
/// use tourney_core::CommentText;
///
/// assert_eq!(CommentText::parse("  Lovely light!\n ")?.as_str(), "Lovely light!");
/// assert!(CommentText::parse(&"x".repeat(301)).is_err());
/// assert!(CommentText::parse(" ").is_err());
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentText(String);

impl CommentText {
    /// The longest accepted comment, in characters.
    pub const MAX_CHARS: usize = 300;

    /// Trims surrounding white space, then accepts 1 to [`CommentText::MAX_CHARS`]
    /// characters without control characters other than line breaks.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = checked_text(
            TextRule {
                field: "text",
                max_chars: Self::MAX_CHARS,
                refused: |c| c.is_control() && c != '\n',
                reason: "no control characters other than line breaks",
            },
            text,
        )?;
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a free-text field accepts: 1 to `max_chars` characters after trimming, none of
/// them `refused`.
#[derive(Debug, Clone, Copy)]
struct TextRule {
    field: &'static str,
    max_chars: usize,
    refused: fn(char) -> bool,
    reason: &'static str,
}

/// `text` trimmed, if it passes `rule`; the error names the field and the rule broken.
fn checked_text(rule: TextRule, text: &str) -> Result<&str, Error> {
    let trimmed = text.trim();
    let n_chars = trimmed.chars().count();
    if n_chars == 0 || n_chars > rule.max_chars {
        return Err(Error::TextLength {
            field: rule.field,
            value: text.to_owned(),
            n_chars,
            min: 1,
            max: rule.max_chars,
        });
    }
    if trimmed.chars().any(rule.refused) {
        return Err(Error::TextCharacters {
            field: rule.field,
            value: text.to_owned(),
            reason: rule.reason,
        });
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_lists_are_validated() {
        let cases: [(&[&str], bool); 6] = [
            (&["female", "male"], true),
            (&[], false),
            (&["cars", "cars"], false),
            (&["Cars"], false),
            (&[""], false),
            (&["street-art", "b_w", "top10"], true),
        ];
        for (names, accepted) in cases {
            assert_eq!(CategoryList::new(names).is_ok(), accepted, "{names:?}");
        }
    }

    #[test]
    fn categories_come_from_the_list_only() {
        let list = CategoryList::new(&["female", "cars"]).unwrap();
        let cases = [
            ("female", true),
            ("cars", true),
            ("male", false),
            ("Cars", false),
            ("", false),
        ];
        for (text, accepted) in cases {
            assert_eq!(Category::parse(text, &list).is_ok(), accepted, "{text:?}");
        }
    }

    #[test]
    fn tags_fold_case_and_limit_length() {
        let cases = [
            ("Sunset", Some("sunset")),
            ("  Golden Gate  ", Some("golden gate")),
            ("ÉTÉ", Some("été")),
            ("東京", Some("東京")),
            ("", None),
            ("  ", None),
            ("a/b", None),
            ("tab\there", None),
        ];
        for (text, key) in cases {
            assert_eq!(
                Tag::parse(text).ok().map(|tag| tag.key().to_owned()),
                key.map(str::to_owned),
                "{text:?}"
            );
        }
        assert!(Tag::parse(&"é".repeat(Tag::MAX_CHARS)).is_ok());
        assert!(Tag::parse(&"é".repeat(Tag::MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn user_names_count_characters_not_bytes() {
        let cases = [
            ("Ann", true),
            ("  Ann  ", true),
            ("", false),
            ("   ", false),
            ("🦀🦀", true),
            ("line\nbreak", false),
        ];
        for (text, accepted) in cases {
            assert_eq!(UserName::parse(text).is_ok(), accepted, "{text:?}");
        }
        assert!(UserName::parse(&"🦀".repeat(42)).is_ok());
        assert!(UserName::parse(&"🦀".repeat(43)).is_err());
        assert_eq!(UserName::parse("  Ann ").unwrap().as_str(), "Ann");
    }
}
