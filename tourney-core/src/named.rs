//! Enums that have a name on the wire and in settings (`scope=local`, `when=thisweek`...):
//! one macro gives each its list of values, its name, `Display` and a `FromStr` whose error
//! names the field and every allowed value.

use crate::error::Error;

/// Implements `ALL`, `as_str`, `Display` and `FromStr` for an enum from its variants'
/// names; `$field` is the setting or parameter the name is parsed for (used in errors).
macro_rules! wire_names {
    ($ty:ident, $field:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The name on the wire and in settings.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::error::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $crate::named::parse_name($field, text, &$ty::ALL, $ty::as_str)
            }
        }
    };
}

pub(crate) use wire_names;

/// Finds the value named `text` among `all`, or an error naming `field` and the names allowed.
pub(crate) fn parse_name<T: Copy>(
    field: &'static str,
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, Error> {
    all.iter()
        .copied()
        .find(|candidate| name(*candidate) == text)
        .ok_or_else(|| Error::UnknownName {
            field,
            value: text.to_owned(),
            allowed: all
                .iter()
                .map(|item| name(*item))
                .collect::<Vec<_>>()
                .join(", "),
        })
}
